"""The SQL Server run lock's T-SQL (no server here: the SQL and the result handling)."""

from __future__ import annotations

import pytest
from mig_mssql.lock import MSSQLRunLock, acquire_sql, release_sql, resource_name

from mig_core.errors import LockTimeoutError


def test_acquire_sql_session_with_timeout():
    assert acquire_sql("mig:dbo.mig_version", 2.5) == (
        "DECLARE @mig_lock_result int;\n"
        "EXEC @mig_lock_result = sp_getapplock @Resource = N'mig:dbo.mig_version', "
        "@LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 2500;\n"
        "SELECT @mig_lock_result"
    )


def test_acquire_sql_waits_forever_and_transaction_owner():
    sql = acquire_sql("mig:x.y", None, transaction_scoped=True)
    assert "@LockOwner = 'Transaction', @LockTimeout = -1;" in sql


def test_release_sql_and_resource_quoting():
    assert resource_name("mig_version", None) == "mig:dbo.mig_version"
    assert resource_name("v", "o'brien") == "mig:o'brien.v"
    assert release_sql("mig:o'brien.v") == (
        "EXEC sp_releaseapplock @Resource = N'mig:o''brien.v', @LockOwner = 'Session'"
    )


class _Result:
    def __init__(self, value):
        self.value = value

    def scalar(self):
        return self.value


class _Conn:
    def __init__(self, code):
        self.code = code
        self.sql: list[str] = []

    def exec_driver_sql(self, sql):
        self.sql.append(sql)
        return _Result(self.code)


class _Impl:
    def __init__(self, code):
        self.connection = _Conn(code)
        self.context_opts = {"version_table": "mig_version"}


@pytest.mark.parametrize("code", [0, 1])
def test_granted_codes_enter_and_release(code):
    impl = _Impl(code)
    with MSSQLRunLock(impl, 1.0):
        assert impl.connection.sql == [acquire_sql("mig:dbo.mig_version", 1.0)]
    assert impl.connection.sql[-1] == release_sql("mig:dbo.mig_version")


@pytest.mark.parametrize("code, reason", [(-1, "timed out"), (-3, "deadlock victim")])
def test_refused_codes_raise_lock_timeout(code, reason):
    with pytest.raises(LockTimeoutError, match=reason):
        MSSQLRunLock(_Impl(code), 1.0).__enter__()


@pytest.mark.parametrize("timeout, scoped", [(2.5, False), (None, True), (0, False)])
def test_lock_sql_parses_as_tsql(timeout, scoped):
    from mssql_tsql import assert_tsql

    assert_tsql(acquire_sql(resource_name("mig_version", "o'brien"), timeout, scoped))
    assert_tsql(release_sql(resource_name("mig_version", None)))
