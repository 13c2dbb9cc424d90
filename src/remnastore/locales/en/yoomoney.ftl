# YooMoney wallet (quickpay)
method-yoomoney = 👛 Card, YooMoney wallet (YooMoney)
