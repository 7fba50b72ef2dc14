BEGIN TRANSACTION;
GO

-- Running downgrade 4d -> 3c

ALTER TABLE ledger_entry DROP CONSTRAINT fk_ledger_entry_account;
GO

ALTER TABLE ledger_entry ADD CONSTRAINT fk_entry_account FOREIGN KEY(account_id) REFERENCES account (id);
GO

ALTER TABLE account ADD opened DATETIME NULL DEFAULT getdate();
GO

ALTER TABLE account ADD legacy_code INTEGER NULL;
GO

UPDATE mig_version SET version_num='3c' WHERE version_num = '4d';
GO

-- Running downgrade 3c -> 2b

EXEC sp_addextendedproperty @name = N'MS_Description', @value = N'what it was for', @level0type = N'SCHEMA', @level0name = N'dbo', @level1type = N'TABLE', @level1name = N'ledger_entry', @level2type = N'COLUMN', @level2name = N'memo';
GO

EXEC sp_updateextendedproperty @name = N'MS_Description', @value = N'customer accounts', @level0type = N'SCHEMA', @level0name = N'dbo', @level1type = N'TABLE', @level1name = N'account';
GO

EXEC sp_rename N'ledger_entry', N'entry';
GO

EXEC sp_rename N'account.full_name', N'name', N'COLUMN';
GO

ALTER TABLE account ALTER COLUMN email NVARCHAR(200) NULL;
GO

DECLARE @mig_sql nvarchar(max) = N'';
SELECT @mig_sql = @mig_sql + N'ALTER TABLE account DROP CONSTRAINT ' + QUOTENAME(d.name) + N'; '
FROM sys.default_constraints AS d
WHERE d.parent_object_id = OBJECT_ID(N'account') AND d.parent_column_id = COLUMNPROPERTY(d.parent_object_id, N'balance', 'ColumnId');
EXEC sp_executesql @mig_sql;
GO

ALTER TABLE account ADD DEFAULT '0' FOR balance;
GO

UPDATE mig_version SET version_num='2b' WHERE version_num = '3c';
GO

-- Running downgrade 2b -> 1a

ALTER TABLE account DROP CONSTRAINT ck_account_balance;
GO

DECLARE @mig_sql nvarchar(max) = N'';
SELECT @mig_sql = @mig_sql + N'ALTER TABLE account DROP CONSTRAINT ' + QUOTENAME(d.name) + N'; '
FROM sys.default_constraints AS d
WHERE d.parent_object_id = OBJECT_ID(N'account') AND d.parent_column_id = COLUMNPROPERTY(d.parent_object_id, N'name', 'ColumnId');
EXEC sp_executesql @mig_sql;
GO

ALTER TABLE account ALTER COLUMN name VARCHAR(100) NOT NULL;
GO

ALTER TABLE account ADD DEFAULT 'anonymous' FOR name;
GO

ALTER TABLE account DROP CONSTRAINT uq_account_email;
GO

DECLARE @mig_sql nvarchar(max) = N'';
SELECT @mig_sql = @mig_sql + N'ALTER TABLE account DROP CONSTRAINT ' + QUOTENAME(d.name) + N'; '
FROM sys.default_constraints AS d
WHERE d.parent_object_id = OBJECT_ID(N'account') AND d.parent_column_id = COLUMNPROPERTY(d.parent_object_id, N'email', 'ColumnId');
EXEC sp_executesql @mig_sql;
GO

ALTER TABLE account DROP COLUMN email;
GO

UPDATE mig_version SET version_num='1a' WHERE version_num = '2b';
GO

-- Running downgrade 1a -> base

DROP TABLE entry;
GO

DROP INDEX ix_account_name ON account;
GO

DROP TABLE account;
GO

DELETE FROM mig_version WHERE version_num = '1a';
GO

COMMIT;
GO

