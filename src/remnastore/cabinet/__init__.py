"""The customer cabinet: a Telegram Mini App and a web page on the shop's own web server.

``auth`` checks what a visitor presents (Mini App ``initData``, signed sign-in links), ``sessions`` keeps
the credentials in the database, ``guides`` holds the connect guides as data, ``routes`` serves the
pages (Jinja2 templates in ``templates/``, CSS and a little JavaScript in ``static/``).
"""
