# Кошелёк ЮMoney (quickpay)
method-yoomoney = 👛 Карта, кошелёк ЮMoney
