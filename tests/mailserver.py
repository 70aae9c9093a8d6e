"""A real IMAP server for the mail tests: Debian's dovecot-imapd (installed by `make test`),
started with a throwaway configuration and mailbox under a temporary directory, on a free
127.0.0.1 port, plain IMAP with one account (any user name, the password below).

    with dovecot(tmp_path) as box:          # box.port, box.client() -> logged-in imaplib
        box.deliver(raw_bytes)              # APPEND to INBOX, as the mail server would
"""

import grp
import imaplib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "mailbox-secret"
USER = "crm"

CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class Mailbox:
    port: int
    root: Path

    def client(self) -> imaplib.IMAP4:
        box = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        box.login(USER, PASSWORD)
        return box

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        raw = re.sub(rb"(?<!\r)\n", b"\r\n", raw)  # IMAP takes CRLF lines, as SMTP does
        box = self.client()
        try:
            status, _ = box.append(folder, None, None, raw)
            assert status == "OK", (status, _)
        finally:
            box.logout()

    def count(self, folder: str = "INBOX") -> int:
        box = self.client()
        try:
            status, data = box.select(f'"{folder}"')
            return int(data[0]) if status == "OK" else 0
        finally:
            box.logout()

    def settings(self) -> dict[str, str]:
        """The CARNET_IMAP_* variables that point Carnet at this mailbox."""
        return {
            "CARNET_IMAP_HOST": "127.0.0.1",
            "CARNET_IMAP_PORT": str(self.port),
            "CARNET_IMAP_SECURITY": "none",
            "CARNET_IMAP_USERNAME": USER,
            "CARNET_IMAP_PASSWORD": PASSWORD,
        }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dovecot(tmp_path: Path):
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    assert Path(binary).exists(), "dovecot is missing: `make test` installs dovecot-imapd"
    # Not under tmp_path: pytest keeps its folders to their owner, and as root dovecot runs
    # its parts as its own unprivileged users (the Debian package creates them).
    root = Path(tempfile.mkdtemp(prefix="carnet-dovecot-"))
    for folder in ("mail", "home"):
        (root / folder).mkdir(parents=True)
    if os.geteuid() == 0:
        user, login = "dovecot", "dovenull"
        for folder in ("mail", "home"):
            shutil.chown(root / folder, user, user)
        os.chmod(root, 0o755)
    else:
        user = login = pwd.getpwuid(os.geteuid()).pw_name
    entry = pwd.getpwnam(user)
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            root=root,
            internal=user,
            internal_group=grp.getgrgid(entry.pw_gid).gr_name,
            login=login,
            password=PASSWORD,
            uid=entry.pw_uid,
            gid=entry.pw_gid,
            port=port,
        )
    )
    process = subprocess.Popen(
        [binary, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                log = root / "dovecot.log"
                assert process.poll() is None and time.monotonic() < deadline, (
                    log.read_text() if log.exists() else process.stdout.read().decode()
                )
                time.sleep(0.1)
        yield Mailbox(port, root)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)
