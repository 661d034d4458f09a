import pytest

from ledger import Ledger


def test_deposit_balance():
    led = Ledger()
    led.deposit("a", 100)
    led.deposit("a", 50)
    assert led.balance("a") == 150


def test_withdraw_balance():
    led = Ledger(withdrawal_fee=2)
    led.deposit("a", 100)
    led.withdraw("a", 30)
    assert led.balance("a") == 68


def test_insufficient_funds():
    led = Ledger()
    led.deposit("a", 10)
    with pytest.raises(ValueError):
        led.withdraw("a", 10)


def test_statement():
    led = Ledger()
    led.deposit("a", 5)
    led.deposit("b", 7)
    assert led.statement("a") == ["+5"]


def test_accounts_sorted():
    led = Ledger()
    led.deposit("z", 1)
    led.deposit("m", 1)
    assert led.accounts() == ["m", "z"]


def test_second_withdrawal_refused():
    led = Ledger(withdrawal_fee=0)
    led.deposit("a", 10)
    led.withdraw("a", 8)
    with pytest.raises(ValueError):
        led.withdraw("a", 5)
