"""Shared shapes of the workbench tests: a node with accounts, a running
`silvernode web` on 127.0.0.1 (stopped by its PID), and an HTTP client
that keeps its cookie and does not follow redirects."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

BIN = os.environ.get("SILVER_BIN", "build/bin")
SILVERNODE = os.path.join(BIN, "silvernode")


def run(node, *args, stdin=None, check=True):
    p = subprocess.run([SILVERNODE, "--dir", node, *args], input=stdin, capture_output=True, text=True,
                       timeout=60)
    if check and p.returncode != 0:
        raise AssertionError(f"silvernode {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


class Node:
    """A node directory in a fresh temporary directory, with three accounts."""

    PASSWORDS = {"clerk1": "clerk-pass-1", "officer1": "officer-pass-1", "admin1": "admin-pass-1"}

    def __init__(self, township="longhu", name="龙湖镇"):
        self.tmp = tempfile.mkdtemp(prefix="silver-web-")
        self.dir = os.path.join(self.tmp, "node")
        run(self.dir, "init", "--township", township, "--name", name)
        for user, role in (("clerk1", "clerk"), ("officer1", "officer"), ("admin1", "admin")):
            run(self.dir, "user", "add", user, "--role", role, stdin=self.PASSWORDS[user] + "\n")
        self.proc = None
        self.base = None

    def start(self, lang=None, tmpdir=None, env_extra=None):
        env = dict(os.environ)
        env.update(env_extra or {})
        if lang:
            env["LANGUAGE"] = lang
        if tmpdir:
            env["TMPDIR"] = tmpdir  # where uploads are kept
        self.out = open(os.path.join(self.tmp, "web.out"), "w+")
        self.proc = subprocess.Popen([SILVERNODE, "--dir", self.dir, "web", "--listen", "127.0.0.1:0"],
                                     stdout=self.out, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 20
        while time.time() < deadline:
            self.out.seek(0)
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", self.out.read())
            if m:
                self.base = f"http://127.0.0.1:{m.group(1)}"
                return self.base
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.out.seek(0)
        raise AssertionError("silvernode web did not start: " + self.out.read())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
                raise AssertionError("silvernode web did not stop on SIGTERM")
            assert rc == 0, f"silvernode web exited with {rc}"
        self.proc = None
        if getattr(self, "out", None):
            self.out.close()
            self.out = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def cli(self, *args, **kw):
        return run(self.dir, *args, **kw)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


class Client:
    def __init__(self, base):
        self.base = base
        self.cookie = None
        self.opener = urllib.request.build_opener(NoRedirect)

    def request(self, method, path, data=None, raw=None, ctype="application/x-www-form-urlencoded"):
        body = raw
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
        req = urllib.request.Request(self.base + path, data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", ctype)
        if self.cookie:
            req.add_header("Cookie", "silver_session=" + self.cookie)
        try:
            r = self.opener.open(req, timeout=30)
            status, headers, text = r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            status, headers, text = e.code, e.headers, e.read().decode()
        sc = headers.get("Set-Cookie")
        if sc:
            m = re.match(r"silver_session=([0-9a-f]*)", sc)
            if m:
                self.cookie = m.group(1) or None
        return status, headers, text

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, data):
        return self.request("POST", path, data)

    def post_file(self, path, fields, name, filename, content):
        """A multipart/form-data POST: the fields and one file (bytes)."""
        boundary = "----silver" + os.urandom(8).hex()
        parts = []
        for k, v in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: application/octet-stream\r\n\r\n'.encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, raw=b"".join(parts), ctype="multipart/form-data; boundary=" + boundary)

    def csrf(self, path):
        status, _, text = self.get(path)
        m = re.search(r'name="csrf" value="([0-9a-f]{64})"', text)
        assert m, f"no CSRF token on {path} ({status})"
        return m.group(1)

    def login(self, user, password):
        token = self.csrf("/login")
        return self.post("/login", {"csrf": token, "user": user, "password": password})
