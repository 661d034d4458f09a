from ledger import Ledger


def test_two_withdrawals():
    led = Ledger(withdrawal_fee=1)
    led.deposit("a", 50)
    led.withdraw("a", 10)
    led.withdraw("a", 10)
    assert led.balance("a") == 28
