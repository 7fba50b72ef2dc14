BEGIN TRANSACTION;
GO

CREATE TABLE mig_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT mig_version_pkc PRIMARY KEY (version_num));
GO

-- Running upgrade base -> 1a

CREATE TABLE account (
    id INTEGER NOT NULL IDENTITY, 
    name VARCHAR(100) NOT NULL DEFAULT 'anonymous', 
    balance NUMERIC(12, 2) NOT NULL DEFAULT 0, 
    opened DATETIME2(3) NULL DEFAULT getdate(), 
    legacy_code INTEGER NULL CHECK (legacy_code > 0), 
    PRIMARY KEY (id)
);
GO

EXEC sp_addextendedproperty @name = N'MS_Description', @value = N'customer accounts', @level0type = N'SCHEMA', @level0name = N'dbo', @level1type = N'TABLE', @level1name = N'account';
GO

CREATE INDEX ix_account_name ON account (name) INCLUDE (balance);
GO

CREATE TABLE entry (
    id BIGINT NOT NULL IDENTITY, 
    account_id INTEGER NOT NULL, 
    amount NUMERIC(12, 2) NOT NULL, 
    memo NVARCHAR(200) NULL, 
    PRIMARY KEY (id), 
    CONSTRAINT fk_entry_account FOREIGN KEY(account_id) REFERENCES account (id)
);
GO

EXEC sp_addextendedproperty @name = N'MS_Description', @value = N'what it was for', @level0type = N'SCHEMA', @level0name = N'dbo', @level1type = N'TABLE', @level1name = N'entry', @level2type = N'COLUMN', @level2name = N'memo';
GO

SET IDENTITY_INSERT account ON;
GO

INSERT INTO account (id, name, balance) VALUES (1, 'O''Hara', 10);
GO

INSERT INTO account (id, name) VALUES (2, 'Ng');
GO

SET IDENTITY_INSERT account OFF;
GO

INSERT INTO mig_version (version_num) VALUES ('1a');
GO

-- Running upgrade 1a -> 2b

ALTER TABLE account ADD email NVARCHAR(200) NULL;
GO

EXEC sp_addextendedproperty @name = N'MS_Description', @value = N'login', @level0type = N'SCHEMA', @level0name = N'dbo', @level1type = N'TABLE', @level1name = N'account', @level2type = N'COLUMN', @level2name = N'email';
GO

ALTER TABLE account ADD CONSTRAINT uq_account_email UNIQUE (email);
GO

DECLARE @mig_sql nvarchar(max) = N'';
SELECT @mig_sql = @mig_sql + N'ALTER TABLE account DROP CONSTRAINT ' + QUOTENAME(d.name) + N'; '
FROM sys.default_constraints AS d
WHERE d.parent_object_id = OBJECT_ID(N'account') AND d.parent_column_id = COLUMNPROPERTY(d.parent_object_id, N'name', 'ColumnId');
EXEC sp_executesql @mig_sql;
GO

ALTER TABLE account ALTER COLUMN name VARCHAR(200) NOT NULL;
GO

ALTER TABLE account ADD DEFAULT 'anonymous' FOR name;
GO

ALTER TABLE account ADD CONSTRAINT ck_account_balance CHECK (balance >= -1000);
GO

UPDATE account SET email='ohara@example.com' WHERE id = 1;
GO

UPDATE mig_version SET version_num='2b' WHERE version_num = '1a';
GO

-- Running upgrade 2b -> 3c

DECLARE @mig_sql nvarchar(max) = N'';
SELECT @mig_sql = @mig_sql + N'ALTER TABLE account DROP CONSTRAINT ' + QUOTENAME(d.name) + N'; '
FROM sys.default_constraints AS d
WHERE d.parent_object_id = OBJECT_ID(N'account') AND d.parent_column_id = COLUMNPROPERTY(d.parent_object_id, N'balance', 'ColumnId');
EXEC sp_executesql @mig_sql;
GO

ALTER TABLE account ADD DEFAULT '100' FOR balance;
GO

ALTER TABLE account ALTER COLUMN email NVARCHAR(200) NOT NULL;
GO

EXEC sp_rename N'account.name', N'full_name', N'COLUMN';
GO

EXEC sp_rename N'entry', N'ledger_entry';
GO

EXEC sp_updateextendedproperty @name = N'MS_Description', @value = N'accounts of customers', @level0type = N'SCHEMA', @level0name = N'dbo', @level1type = N'TABLE', @level1name = N'account';
GO

EXEC sp_dropextendedproperty @name = N'MS_Description', @level0type = N'SCHEMA', @level0name = N'dbo', @level1type = N'TABLE', @level1name = N'ledger_entry', @level2type = N'COLUMN', @level2name = N'memo';
GO

UPDATE mig_version SET version_num='3c' WHERE version_num = '2b';
GO

-- Running upgrade 3c -> 4d

DECLARE @mig_sql nvarchar(max) = N'';
SELECT @mig_sql = @mig_sql + N'ALTER TABLE account DROP CONSTRAINT ' + QUOTENAME(d.name) + N'; '
FROM sys.default_constraints AS d
WHERE d.parent_object_id = OBJECT_ID(N'account') AND d.parent_column_id = COLUMNPROPERTY(d.parent_object_id, N'legacy_code', 'ColumnId');
SELECT @mig_sql = @mig_sql + N'ALTER TABLE account DROP CONSTRAINT ' + QUOTENAME(k.name) + N'; '
FROM sys.check_constraints AS k
WHERE k.parent_object_id = OBJECT_ID(N'account') AND (k.parent_column_id = COLUMNPROPERTY(k.parent_object_id, N'legacy_code', 'ColumnId') OR EXISTS (SELECT 1 FROM sys.sql_expression_dependencies AS dep WHERE dep.referencing_id = k.object_id AND dep.referenced_id = k.parent_object_id AND dep.referenced_minor_id = COLUMNPROPERTY(k.parent_object_id, N'legacy_code', 'ColumnId')));
EXEC sp_executesql @mig_sql;
GO

ALTER TABLE account DROP COLUMN legacy_code;
GO

DECLARE @mig_sql nvarchar(max) = N'';
SELECT @mig_sql = @mig_sql + N'ALTER TABLE account DROP CONSTRAINT ' + QUOTENAME(d.name) + N'; '
FROM sys.default_constraints AS d
WHERE d.parent_object_id = OBJECT_ID(N'account') AND d.parent_column_id = COLUMNPROPERTY(d.parent_object_id, N'opened', 'ColumnId');
EXEC sp_executesql @mig_sql;
GO

ALTER TABLE account DROP COLUMN opened;
GO

ALTER TABLE ledger_entry DROP CONSTRAINT fk_entry_account;
GO

ALTER TABLE ledger_entry ADD CONSTRAINT fk_ledger_entry_account FOREIGN KEY(account_id) REFERENCES account (id) ON DELETE CASCADE;
GO

UPDATE mig_version SET version_num='4d' WHERE version_num = '3c';
GO

COMMIT;
GO

