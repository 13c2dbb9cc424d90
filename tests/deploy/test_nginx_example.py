"""The shipped nginx example loads on the distribution's nginx (`nginx -t`), Debian 12's 1.22 included."""

import re
import subprocess
from pathlib import Path

from tests.fixtures.nginx import EXAMPLE, block, main_config, nginx_binary


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    request = [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=shop.example.com",
    ]
    subprocess.run(  # noqa: S603 - fixed arguments
        [*request, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def test_the_shipped_example_passes_nginx_t(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    site = EXAMPLE.read_text()
    site, replaced = re.subn(r"/etc/letsencrypt/live/shop\.example\.com/fullchain\.pem", str(cert), site)
    assert replaced == 1
    site, replaced = re.subn(r"/etc/letsencrypt/live/shop\.example\.com/privkey\.pem", str(key), site)
    assert replaced == 1
    (tmp_path / "site.conf").write_text(site)
    conf = tmp_path / "nginx.conf"
    conf.write_text(main_config(tmp_path, f"    include {tmp_path}/site.conf;"))
    tested = subprocess.run(  # noqa: S603 - the installed nginx on our own files
        [nginx_binary(), "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert tested.returncode == 0, tested.stderr
    assert "test is successful" in tested.stderr
    # no deprecation or other warning on this nginx either
    assert "[warn]" not in tested.stderr and "[emerg]" not in tested.stderr, tested.stderr


def test_the_example_proxies_only_the_webhooks_and_the_cabinet() -> None:
    text = EXAMPLE.read_text()
    tls_server = text[text.index("listen 443") :]
    proxied = re.findall(r"location (\S+) \{[^}]*proxy_pass", tls_server)
    assert proxied == ["/webhooks/", "/cabinet/"]  # never /healthz, /readyz or /metrics
    assert "return 404;" in block(tls_server, "location /")
    assert "/metrics" not in re.sub(r"#[^\n]*", "", text)
