import pytest

from account import Account, Declined


def test_empty_whole_balance_without_overdraft():
    acc = Account("bob")
    acc.deposit(40)
    acc.withdraw(40)
    assert acc.balance == 0


def test_transfer_everything():
    a, b = Account("a"), Account("b")
    a.deposit(25)
    a.transfer(b, 25)
    assert (a.balance, b.balance) == (0, 25)
    with pytest.raises(Declined):
        a.transfer(b, 1)


def test_statement_running_total():
    acc = Account("c", overdraft=10)
    acc.deposit(5)
    acc.withdraw(15)
    assert acc.statement().splitlines()[-1].split() == ["withdrawal", "-15", "-10"]
