import pytest

from account import Account, Declined


def test_deposit_and_withdraw():
    acc = Account("ann")
    acc.deposit(100)
    acc.withdraw(30)
    assert acc.balance == 70


def test_declined_past_limit():
    acc = Account("ann", overdraft=50)
    with pytest.raises(Declined):
        acc.withdraw(51)
    assert acc.balance == 0


def test_into_overdraft():
    acc = Account("ann", overdraft=50)
    acc.withdraw(20)
    assert acc.available() == 30


def test_bad_amounts():
    with pytest.raises(ValueError):
        Account("ann").deposit(0)


def test_withdraw_up_to_the_overdraft_limit():
    acc = Account("ann", overdraft=50)
    acc.deposit(10)
    acc.withdraw(60)
    assert acc.balance == -50 and acc.available() == 0
