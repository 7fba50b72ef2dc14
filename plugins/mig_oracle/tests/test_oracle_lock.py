"""The Oracle run lock's PL/SQL (no server here: the SQL and the result handling)."""

from __future__ import annotations

import pytest
from mig_oracle.lock import MAXWAIT, RELEASE_SQL, OracleRunLock, acquire_sql, lock_name

from mig_core.errors import LockTimeoutError


def test_acquire_block():
    assert acquire_sql("mig:.mig_version", 3) == (
        "DECLARE\n"
        "  mig_handle VARCHAR2(128);\n"
        "BEGIN\n"
        "  DBMS_LOCK.ALLOCATE_UNIQUE(lockname => 'mig:.mig_version', lockhandle => mig_handle);\n"
        "  :result := DBMS_LOCK.REQUEST(lockhandle => mig_handle, lockmode => DBMS_LOCK.X_MODE, "
        "timeout => 3, release_on_commit => FALSE);\n"
        "  :handle := mig_handle;\n"
        "END;"
    )


def test_forever_and_transaction_scoped():
    sql = acquire_sql("n", None, transaction_scoped=True)
    assert f"timeout => {MAXWAIT}, release_on_commit => TRUE" in sql
    assert lock_name("mig_version", "APP") == "mig:APP.mig_version"


class _Var:
    def __init__(self, value=None):
        self.value = value

    def getvalue(self):
        return self.value


class _Cursor:
    def __init__(self, owner):
        self.owner = owner

    def var(self, type_):
        return _Var()

    def execute(self, sql, **binds):
        self.owner.calls.append((sql, sorted(binds)))
        if "result" in binds and "ALLOCATE_UNIQUE" in sql:
            binds["result"].value = self.owner.code
            binds["handle"].value = "HANDLE1"

    def close(self):
        pass


class _Impl:
    def __init__(self, code):
        self.code = code
        self.calls: list = []
        self.context_opts = {}
        owner = self

        class DBAPI:
            def cursor(self):
                return _Cursor(owner)

        class Pool:
            dbapi_connection = DBAPI()

        class Conn:
            connection = Pool()

        self.connection = Conn()


@pytest.mark.parametrize("code", [0, 4])
def test_granted_then_released(code):
    impl = _Impl(code)
    with OracleRunLock(impl, 2) as lock:
        assert lock.handle == "HANDLE1"
    assert impl.calls[-1] == (RELEASE_SQL, ["handle", "result"])


@pytest.mark.parametrize("code, reason", [(1, "timed out"), (2, "deadlock")])
def test_refused(code, reason):
    with pytest.raises(LockTimeoutError, match=reason):
        OracleRunLock(_Impl(code), 2).__enter__()


def test_lock_name_is_quoted_and_capped() -> None:
    assert "lockname => 'mig:O''Brien.mig_version'" in acquire_sql(
        lock_name("mig_version", "O'Brien"), 1
    )
    assert len(lock_name("v" * 200, "APP")) == 128


@pytest.mark.parametrize(("timeout", "seconds"), [(0, 0), (-3, 0), (2.4, 2), (2.6, 3),
                                                  (10**9, MAXWAIT)])
def test_timeout_is_whole_seconds_within_dbms_lock_range(timeout: float, seconds: int) -> None:
    assert f"timeout => {seconds}, release_on_commit" in acquire_sql("n", timeout)


def test_transaction_scoped_lock_is_not_released_by_hand() -> None:
    impl = _Impl(0)
    with OracleRunLock(impl, 2, transaction_scoped=True):
        pass
    assert [sql for sql, _ in impl.calls] == [acquire_sql("mig:.mig_version", 2, True)]


def test_refusal_names_the_timeout_option() -> None:
    with pytest.raises(LockTimeoutError, match=r"DBMS_LOCK 'mig:.mig_version'.*timed out "
                                               r"\(--lock-timeout 2 s\)"):
        OracleRunLock(_Impl(1), 2).__enter__()
