"""Self-employed tax receipts ("Мой налог"): after a paid order in roubles an income receipt is registered
with the tax service through a persistent queue (``tax_receipts``), cancelled after a refund.

* :mod:`.settings`  the settings group (``NALOGO_*``)
* :mod:`.client`    the HTTP client of lknpd.nalog.ru: login/refresh, income, cancel, reconciliation
* :mod:`.queue`     ``TaxReceipts``: rows written in the settlement transaction, the job that registers
                    and cancels them with retries and back-off, the admin list and the daily summary
"""
