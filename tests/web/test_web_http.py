#!/usr/bin/env python3
"""HTTP-level tests of the workbench (docs/WEB.md): authentication, CSRF,
HTML escaping, roles, bad input, the login rate limit, and that a change
made in the browser is the node's (silvernode show / history)."""
import os
import re
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, __import__("os").path.dirname(__file__))
from webtest import Client, Node  # noqa: E402

EVIL = "<script>alert(\"x\")</script>'&"


def count(node, coll):
    out = node.cli("list", coll).stdout
    return len([l for l in out.splitlines() if "/" + coll + "/" in l])


class WebHttp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node()
        cls.uploads = os.path.join(cls.node.tmp, "uploads")
        os.mkdir(cls.uploads)
        cls.node.start(lang="en", tmpdir=cls.uploads)
        cls.base = cls.node.base

    @classmethod
    def tearDownClass(cls):
        cls.node.cleanup()

    def logged_in(self, user="clerk1"):
        c = Client(self.base)
        status, headers, _ = c.login(user, Node.PASSWORDS[user])
        self.assertEqual(status, 303)
        self.assertEqual(headers["Location"], "/")
        self.assertIn("HttpOnly", headers["Set-Cookie"])
        self.assertIn("SameSite=Strict", headers["Set-Cookie"])
        return c

    def add_retiree(self, c, **fields):
        data = {"csrf": c.csrf("/new/retiree"), "category": "honorary", "birth_date": "1930-01-02"}
        data.update(fields)
        status, headers, text = c.post("/new/retiree", data)
        self.assertEqual(status, 303, text)
        m = re.match(r"/record/(longhu/retiree/[0-9a-v]+)$", headers["Location"])
        self.assertTrue(m, headers["Location"])
        return m.group(1)

    def test_no_page_without_login(self):
        c = Client(self.base)
        for path in ("/", "/records/retiree", "/record/longhu/retiree/x", "/new/visit", "/conflicts",
                     "/county", "/collections", "/nonsense"):
            status, headers, _ = c.get(path)
            self.assertEqual(status, 303, path)
            self.assertEqual(headers["Location"], "/login", path)
        before = count(self.node, "retiree")
        status, headers, _ = c.post("/new/retiree", {"name": "x", "category": "honorary",
                                                     "birth_date": "1930-01-01"})
        self.assertEqual((status, headers["Location"]), (303, "/login"))
        self.assertEqual(count(self.node, "retiree"), before)
        # A cookie that is not a session is no session.
        c.cookie = "0" * 64
        self.assertEqual(c.get("/records/retiree")[0], 303)

    def test_login_wrong_password_and_csrf(self):
        c = Client(self.base)
        status, _, text = c.login("officer1", "wrong-password")
        self.assertEqual(status, 403)
        self.assertIn("Wrong account name or password", text)
        # A login without the form's token is refused even with the right password.
        c2 = Client(self.base)
        c2.get("/login")
        status, _, _ = c2.post("/login", {"user": "officer1", "password": Node.PASSWORDS["officer1"]})
        self.assertEqual(status, 403)
        self.assertEqual(c2.get("/records/retiree")[0], 303)

    def test_rate_limit(self):
        c = Client(self.base)
        for _ in range(5):
            self.assertEqual(c.login("admin1", "not-the-password")[0], 403)
        status, _, text = c.login("admin1", Node.PASSWORDS["admin1"])
        self.assertEqual(status, 429)
        self.assertIn("Too many failed logins", text)

    def test_csrf_on_every_post(self):
        c = self.logged_in()
        before = count(self.node, "retiree")
        data = {"name": "无令牌", "category": "honorary", "birth_date": "1930-01-01"}
        self.assertEqual(c.post("/new/retiree", data)[0], 403)
        self.assertEqual(c.post("/new/retiree", dict(data, csrf="a" * 64))[0], 403)
        # Another session's token is not this session's.
        other = self.logged_in("officer1")
        self.assertEqual(c.post("/new/retiree", dict(data, csrf=other.csrf("/new/retiree")))[0], 403)
        self.assertEqual(count(self.node, "retiree"), before)
        self.assertEqual(c.post("/logout", {})[0], 403)
        self.assertEqual(c.get("/records/retiree")[0], 200)

    def test_escaping(self):
        c = self.logged_in()
        rid = self.add_retiree(c, name=EVIL, address='"><img src=x onerror=alert(1)>', id_number="4101")
        pages = [c.get("/record/" + rid)[2], c.get("/records/retiree")[2],
                 c.get("/records/retiree?q=" + urllib.parse.quote(EVIL))[2],
                 c.get("/new/visit?retiree=" + urllib.parse.quote(rid))[2],
                 c.get("/edit/" + rid)[2]]
        for html in pages:
            self.assertNotIn("<script>", html)
            self.assertNotIn("<img", html)
            self.assertIn("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;", html)
        # The value is stored exactly as typed.
        self.assertIn(EVIL, self.node.cli("show", rid).stdout)

    def test_bad_input_changes_nothing(self):
        c = self.logged_in()
        before, visits = count(self.node, "retiree"), count(self.node, "visit")
        token = c.csrf("/new/retiree")
        status, _, text = c.post("/new/retiree", {"csrf": token, "name": "赵", "category": "honorary",
                                                   "birth_date": "1930-02-30"})
        self.assertEqual(status, 400)
        self.assertIn('id="error"', text)
        self.assertIn('value="赵"', text)  # what was typed is kept
        status, _, _ = c.post("/new/retiree", {"csrf": token, "name": "赵", "category": "nonsense",
                                                "birth_date": "1930-02-01"})
        self.assertEqual(status, 400)
        status, _, _ = c.post("/new/retiree", {"csrf": token, "category": "honorary", "birth_date": "1930-02-01"})
        self.assertEqual(status, 400)  # the name is required
        status, _, _ = c.post("/new/visit", {"csrf": token, "retiree": "longhu/retiree/0000000000000000x",
                                              "date": "2026-01-01", "type": "birthday"})
        self.assertEqual(status, 400)  # no such retiree
        self.assertEqual(count(self.node, "retiree"), before)
        self.assertEqual(count(self.node, "visit"), visits)
        self.assertEqual(c.get("/records/nonsense")[0], 404)
        self.assertEqual(c.get("/record/longhu/retiree/nonsense")[0], 404)
        self.assertEqual(c.get("/record/" + "x" * 5000)[0] in (404, 414, 431), True)
        self.assertEqual(c.get("/records/retiree?category=nonsense")[0], 400)
        self.assertEqual(c.get("/records/retiree?page=-5")[0], 200)
        self.assertEqual(c.request("PUT", "/records/retiree")[0], 405)
        big = {"csrf": token, "name": "x" * (70 * 1024)}
        self.assertEqual(c.post("/new/retiree", big)[0], 413)
        self.assertEqual(count(self.node, "retiree"), before)

    def test_add_visit_history_operator(self):
        c = self.logged_in()
        rid = self.add_retiree(c, name="张德明", hardship=["old_age", "illness"])
        status, _, text = c.get("/new/visit?retiree=" + urllib.parse.quote(rid))
        self.assertEqual(status, 200)
        self.assertIn("张德明", text)
        status, headers, _ = c.post("/new/visit", {"csrf": c.csrf("/new/visit"), "retiree": rid,
                                                    "date": "2026-03-15", "type": "birthday", "staff": "赵敏"})
        self.assertEqual(status, 303)
        vid = headers["Location"][len("/record/"):]
        show = self.node.cli("show", vid).stdout
        self.assertIn("2026-03-15", show)
        self.assertIn(rid, show)
        status, _, text = c.get("/record/" + vid)
        self.assertIn("clerk1", text)  # the operator, beside the office
        self.assertIn("张德明", text)  # the retiree by name, not by id
        self.assertIn("old_age", self.node.cli("show", rid).stdout)
        # An edit writes only what changed, and history shows old -> new.
        token = c.csrf("/edit/" + rid)
        status, _, _ = c.post("/edit/" + rid, {"csrf": token, "name": "张德明", "category": "honorary",
                                                "birth_date": "1930-01-02", "phone": "13800000000",
                                                "hardship": ["old_age", "illness"]})
        self.assertEqual(status, 303)
        hist = self.node.cli("history", rid).stdout
        self.assertIn("13800000000", hist)
        self.assertNotIn("Name:", hist.split("13800000000")[0].split("entry")[-1])
        # The filter on a retiree's visits.
        status, _, text = c.get("/records/visit?retiree=" + urllib.parse.quote(rid))
        self.assertIn(vid, text)

    def test_search(self):
        """q= searches names, ID numbers, phones, units through the search
        index (ASCII case aside), not addresses; with filters; the reference
        picker too; records written by another process meanwhile are found."""
        c = self.logged_in()
        a = self.add_retiree(c, name="Kang 康建华", id_number="410184195001020011", unit="新郑市教育局",
                             address="搜索不到的地址")
        b = self.add_retiree(c, name="康秀英", id_number="410184195103040022", category="retired")
        self.node.cli("add", "retiree", "name=康德明", "category=honorary", "birth_date=1931-01-01",
                      "phone=13903712345")

        def found(query):
            status, _, text = c.get("/records/retiree?" + query)
            self.assertEqual(status, 200, text)
            self.assertNotIn('id="index-note"', text)  # the index was up to date
            return set(re.findall(r'href="/record/(longhu/retiree/[0-9a-v]+)"', text)), text

        ids, _ = found("q=kang")
        self.assertEqual(ids, {a})
        ids, text = found("q=" + urllib.parse.quote("康"))
        self.assertTrue({a, b} <= ids, text)
        self.assertIn("康德明", text)
        self.assertEqual(found("q=0011")[0], {a})
        self.assertEqual(found("q=1951")[0], {b})
        self.assertEqual(found("q=" + urllib.parse.quote("教育"))[0], {a})
        self.assertEqual(found("q=" + urllib.parse.quote("搜索不到"))[0], set())  # addresses are not searched
        ids, text = found("q=3712345")
        self.assertIn("康德明", text)
        ids, text = found("q=" + urllib.parse.quote("康") + "&category=honorary")
        self.assertIn(a, ids)
        self.assertNotIn(b, ids)
        self.assertIn("康德明", text)
        self.assertEqual(c.get("/records/retiree?q=%E5")[0], 400)  # not UTF-8
        status, _, text = c.get("/new/visit?retiree_q=KANG")
        self.assertIn('<option value="%s">' % a, text)
        self.assertNotIn('<option value="%s">' % b, text)
        status, _, text = c.get("/new/visit?retiree_q=0022")
        self.assertIn('<option value="%s">' % b, text)
        self.assertNotIn('<option value="%s">' % a, text)

    def test_roles(self):
        c = self.logged_in("clerk1")
        self.assertEqual(c.get("/county")[0], 403)
        status, _, _ = c.post("/resolve", {"csrf": c.csrf("/conflicts"), "id": "longhu/retiree/x",
                                            "field": "phone", "take": "1"})
        self.assertEqual(status, 403)
        self.assertEqual(c.get("/stats")[0], 403)
        o = self.logged_in("officer1")
        self.assertEqual(o.get("/county")[0], 200)
        status, _, text = o.get("/stats?from=2025-01-01&to=2025-12-31")
        self.assertEqual(status, 200)
        self.assertIn('id="sec_retirees"', text)
        self.assertEqual(o.get("/stats?from=2025-02-30")[0], 400)
        self.assertEqual(o.get("/stats?township=" + urllib.parse.quote("<x>"))[0], 400)

    def test_review_duplicates_and_double_payments(self):
        """A retiree entered by two townships, and paid by both: the review
        shows both by name; an officer deletes the copied payment."""
        import os
        from webtest import run
        c = self.logged_in("officer1")
        rid = self.add_retiree(c, name="李双", id_number="410184193001010022")
        other = os.path.join(self.node.tmp, "guodian")
        run(other, "init", "--township", "guodian", "--name", "郭店镇")
        b1 = os.path.join(self.node.tmp, "longhu.bundle")
        self.node.cli("export-bundle", b1)
        run(other, "import-bundle", b1)
        run(other, "add", "retiree", "name=李双", "category=retired", "birth_date=1930-01-01",
            "id_number=410184193001010022")
        paid = run(other, "add", "aid", "retiree=" + rid, "date=2026-04-02", "amount=300",
                   "reason=low_income").stdout.strip()
        ours = self.node.cli("add", "aid", "retiree=" + rid, "date=2026-04-02", "amount=300",
                             "reason=low_income").stdout.strip()
        b2 = os.path.join(self.node.tmp, "guodian.bundle")
        run(other, "export-bundle", b2)
        self.node.cli("import-bundle", b2)
        status, _, text = c.get("/review")
        self.assertEqual(status, 200)
        self.assertIn('id="duplicates"', text)
        self.assertIn('id="anomalies"', text)
        self.assertEqual(text.count("李双"), 3)  # the pair, and the payments' retiree
        self.assertIn(paid, text)
        # A clerk may look but not delete.
        clerk = self.logged_in("clerk1")
        self.assertEqual(clerk.get("/review")[0], 403)
        self.assertEqual(clerk.post("/delete", {"csrf": clerk.csrf("/records/aid"), "id": paid})[0], 403)
        self.assertNotIn("deleted", self.node.cli("show", paid).stdout)
        # A township's node may not delete another township's payment (the hub may).
        self.assertEqual(c.post("/delete", {"csrf": c.csrf("/review"), "id": paid})[0], 403)
        status, headers, _ = c.post("/delete", {"csrf": c.csrf("/review"), "id": ours, "back": "review"})
        self.assertEqual((status, headers["Location"]), (303, "/review"))
        _, _, text = c.get("/review")
        self.assertIn('id="noanomalies"', text)
        self.assertIn("deleted", self.node.cli("show", ours).stdout)
        self.assertNotIn("deleted", self.node.cli("show", paid).stdout)
        self.assertIn("officer1", c.get("/record/" + ours)[2])

    def test_password_change(self):
        """/password: the current password, the new one twice; every other
        browser of the account is logged out, this one goes on."""
        from webtest import run
        run(self.node.dir, "user", "add", "clerk9", "--role", "clerk", stdin="clerk9-pass-1\n")
        c, other = Client(self.base), Client(self.base)
        self.assertEqual(c.login("clerk9", "clerk9-pass-1")[0], 303)
        self.assertEqual(other.login("clerk9", "clerk9-pass-1")[0], 303)
        status, _, text = c.get("/password")
        self.assertEqual(status, 200)
        self.assertIn('id="current"', text)
        self.assertIn('href="/password"', c.get("/records/retiree")[2])
        form = {"current": "clerk9-pass-1", "new": "clerk9-pass-2", "again": "clerk9-pass-2"}
        self.assertEqual(c.post("/password", form)[0], 403)  # no CSRF token
        for bad, code in (({"current": "wrong-pass-0"}, 403), ({"new": "short", "again": "short"}, 400),
                          ({"again": "clerk9-pass-3"}, 400)):
            status, _, text = c.post("/password", dict(form, csrf=c.csrf("/password"), **bad))
            self.assertEqual(status, code, bad)
            self.assertIn("unchanged", text)
        self.assertEqual(other.get("/records/retiree")[0], 200)  # nothing changed yet
        status, _, text = c.post("/password", dict(form, csrf=c.csrf("/password")))
        self.assertEqual(status, 200)
        self.assertIn('class="ok"', text)
        self.assertEqual(c.get("/records/retiree")[0], 200)
        status, headers, _ = other.get("/records/retiree")
        self.assertEqual((status, headers["Location"]), (303, "/login"))
        self.assertEqual(Client(self.base).login("clerk9", "clerk9-pass-1")[0], 403)
        self.assertEqual(Client(self.base).login("clerk9", "clerk9-pass-2")[0], 303)

    def test_account_changed_on_command_line(self):
        """A session ends when its account is deleted, or its password or role
        replaced, by the command line while the server runs."""
        from webtest import run
        run(self.node.dir, "user", "add", "clerk8", "--role", "clerk", stdin="clerk8-pass-1\n")
        c = Client(self.base)
        self.assertEqual(c.login("clerk8", "clerk8-pass-1")[0], 303)
        self.assertEqual(c.get("/records/retiree")[0], 200)
        self.assertEqual(c.get("/review")[0], 403)
        p = run(self.node.dir, "user", "add", "clerk8", "--role", "officer", stdin="clerk8-pass-2\n",
                check=False)
        self.assertEqual(p.returncode, 3)
        self.assertIn("--replace", p.stderr)
        p = run(self.node.dir, "user", "add", "clerk8", "--role", "officer", "--replace",
                stdin="clerk8-pass-2\n")
        self.assertIn("logged out", p.stdout)
        self.assertEqual(c.get("/records/retiree")[0], 303)
        self.assertEqual(c.login("clerk8", "clerk8-pass-1")[0], 403)
        self.assertEqual(c.login("clerk8", "clerk8-pass-2")[0], 303)
        self.assertEqual(c.get("/review")[0], 200)  # an officer now
        run(self.node.dir, "user", "delete", "clerk8")
        status, headers, _ = c.get("/records/retiree")
        self.assertEqual((status, headers["Location"]), (303, "/login"))

    def test_operator_travels(self):
        """The account that makes a change in the workbench, or confirms an
        import there, is signed into the entry: another node's history shows
        it after a sync with a hub and after a bundle; a change made on the
        command line names nobody."""
        import json
        import signal
        import socket
        import subprocess
        import time
        from webtest import SILVERNODE, run
        c = self.logged_in("clerk1")
        rid = self.add_retiree(c, name="周经办", phone="13700000000")
        self.node.cli("set", rid, "phone=13700000001")  # the command line: no operator
        o = self.logged_in("officer1")
        status, _, text = o.post_file("/import", {"csrf": o.csrf("/import"), "collection": "retiree"},
                                      "file", "op.csv", "姓名,类别,出生日期\r\n吴导入人,退休干部,1932-03-04\r\n".encode())
        self.assertEqual(status, 200, text)
        m = re.search(r'name="confirm" value="([0-9a-f]{64})"', text)
        self.assertTrue(m, text)
        status, _, text = o.post("/import", {"csrf": o.csrf("/import"), "confirm": m.group(1)})
        self.assertEqual(status, 200, text)

        def operators(node, record):
            out = run(node, "--json", "history", record).stdout
            return [e["operator"] for e in json.loads(out)]

        def imported(node):
            log = json.loads(run(node, "--json", "log").stdout)
            return [e for e in log if e["op"] == "change" and e["fields"] and "name" in e["fields"]
                    and e["record"].startswith("longhu/retiree/") and e["record"] != rid]

        self.assertEqual(operators(self.node.dir, rid), ["clerk1", None])
        mine = [e for e in imported(self.node.dir) if e["operator"] == "officer1"]
        self.assertEqual(len(mine), 1, mine)
        # a hub, reached by sync on 127.0.0.1, stopped by its PID
        hub = os.path.join(self.node.tmp, "op-hub")
        run(hub, "init", "--township", "county", "--name", "县枢纽")
        key = json.loads(run(hub, "--json", "id").stdout)["key"]
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        ep = f"tcp://127.0.0.1:{port}"
        log = open(os.path.join(self.node.tmp, "op-hub.log"), "w")
        proc = subprocess.Popen([SILVERNODE, "--dir", hub, "hub", "--listen", ep], stdout=log, stderr=log)
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            self.node.cli("sync", ep, "--server-key", key)
        finally:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
            log.close()
        self.assertEqual(operators(hub, rid), ["clerk1", None])
        self.assertEqual([e["operator"] for e in imported(hub) if e["record"] == mine[0]["record"]],
                         ["officer1"])
        # a bundle from the hub, imported by another office
        other = os.path.join(self.node.tmp, "op-other")
        run(other, "init", "--township", "guodian", "--name", "郭店镇")
        bundle = os.path.join(self.node.tmp, "op-hub.bundle")
        run(hub, "export-bundle", bundle)
        run(other, "import-bundle", bundle)
        self.assertEqual(operators(other, rid), ["clerk1", None])
        hist = run(other, "history", rid).stdout
        self.assertIn("operator clerk1", hist)
        self.assertEqual(hist.count("operator"), 1)

    def test_logout(self):
        c = self.logged_in()
        cookie = c.cookie
        self.assertEqual(c.post("/logout", {"csrf": c.csrf("/records/retiree")})[0], 303)
        c.cookie = cookie
        self.assertEqual(c.get("/records/retiree")[0], 303)

    def test_pagination(self):
        for i in range(55):
            self.node.cli("add", "branch", f"name=支部{i:02d}")
        c = self.logged_in()
        _, _, p1 = c.get("/records/branch")
        self.assertIn('id="next"', p1)
        _, _, p2 = c.get("/records/branch?page=2")
        self.assertIn('id="prev"', p2)
        self.assertNotIn('id="next"', p2)
        rows = lambda t: len(re.findall(r"<tr><td>", t))
        self.assertEqual(rows(p1), 50)
        self.assertEqual(rows(p2), 5)

    def test_keyset_pages(self):
        """Next and previous pages name the id to go on from (after=, before=),
        so a deep page costs what it shows; walking the pages either way, plain
        or searched, gives every record once, in the list's order."""
        import html
        csv = os.path.join(self.node.tmp, "clubs.csv")
        with open(csv, "w", encoding="utf-8") as f:
            f.write("name\n" + "".join(f"翻页俱乐部{i:03d}\n" for i in range(120)))
        self.node.cli("import", "club", csv)
        order = re.findall(r"longhu/club/[0-9a-v]+", self.node.cli("list", "club").stdout)
        self.assertEqual(len(order), 120)
        c = self.logged_in()
        ids = lambda t: re.findall(r'<a href="/record/(longhu/club/[0-9a-v]+)">', t)

        def link(text, which):
            m = re.search(r'<a href="(/records/club\?[^"]*)" id="%s">' % which, text)
            return html.unescape(m.group(1)) if m else None

        for start in ("/records/club", "/records/club?q=" + urllib.parse.quote("翻页俱乐部")):
            pages, path = [], start
            for _ in range(10):  # 3 pages
                status, _, text = c.get(path)
                self.assertEqual(status, 200, path)
                pages.append(ids(text))
                path = link(text, "next")
                if not path:
                    break
                self.assertIn("after=", path)
            self.assertEqual([len(p) for p in pages], [50, 50, 20], start)
            self.assertEqual(sum(pages, []), order, start)
            self.assertIsNone(link(text, "next"))
            self.assertIn("Page 3", text)
            back = []
            for _ in range(10):  # and back to the first
                path = link(text, "prev")
                if not path:
                    break
                self.assertIn("before=", path)
                status, _, text = c.get(path)
                self.assertEqual(status, 200, path)
                back.insert(0, ids(text))
            self.assertEqual(back, pages[:2], start)
            self.assertIn("Page 1", text)
        # page=N alone (an old link) still works, the slow way
        self.assertEqual(ids(c.get("/records/club?page=3")[2]), order[100:])
        self.assertEqual(c.get("/records/club?after=" + "x" * 200)[0], 400)
        self.assertEqual(c.get("/records/club?after=a&before=b")[0], 400)

    # ---- import (/import): preview, then confirm ----

    GOOD_CSV = "姓名,类别,性别,出生日期\r\n钱导入一,离休干部,男,1930/1/2\r\n孙导入二,退休干部,女,1931年5月6日\r\n"

    def kept(self):
        return len(os.listdir(self.uploads))

    def test_import_refused_rows_write_nothing(self):
        c = self.logged_in("clerk1")
        before, digest = count(self.node, "retiree"), self.node.cli("digest").stdout
        csv = ("姓名,类别,性别,出生日期\n"
               "周导入,离休干部,男,1930-01-02\n"
               "吴导入,不是类别,女,1930-01-02\n"
               "郑导入,离休干部,男,1930-02-30\n").encode()
        status, _, text = c.post_file("/import", {"csrf": c.csrf("/import"), "collection": "retiree"},
                                      "file", "office.csv", csv)
        self.assertEqual(status, 200, text)
        self.assertIn("Rows read: 3; can be imported: 1; refused: 2.", text)
        rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", text)
        self.assertEqual([r[0] for r in rows], ["3", "4"], text)
        self.assertIn("不是类别", rows[0][2])
        self.assertNotIn('name="confirm"', text)  # nothing to confirm
        self.assertEqual(count(self.node, "retiree"), before)
        self.assertEqual(self.node.cli("digest").stdout, digest)
        # A file that cannot be read at all: one sentence, nothing written.
        status, _, text = c.post_file("/import", {"csrf": c.csrf("/import"), "collection": "retiree"},
                                      "file", "empty.csv", "姓名,类别\n".encode())
        self.assertEqual(status, 400, text)
        self.assertIn("nothing imported", text)
        status, _, text = c.post_file("/import", {"csrf": c.csrf("/import"), "collection": "nonesuch"},
                                      "file", "a.csv", self.GOOD_CSV.encode())
        self.assertEqual(status, 400, text)
        self.assertEqual(count(self.node, "retiree"), before)

    def test_import_preview_then_confirm(self):
        c = self.logged_in("clerk1")
        before, kept = count(self.node, "retiree"), self.kept()
        token = c.csrf("/import")
        status, _, text = c.post_file("/import", {"csrf": token, "collection": "retiree"},
                                      "file", "好的.csv", self.GOOD_CSV.encode("utf-8"))
        self.assertEqual(status, 200, text)
        self.assertIn("Rows read: 2; can be imported: 2; refused: 0.", text)
        self.assertIn('value="Import 2 rows"', text)
        m = re.search(r'name="confirm" value="([0-9a-f]{64})"', text)
        self.assertTrue(m, text)
        self.assertEqual(count(self.node, "retiree"), before)  # the preview writes nothing
        self.assertEqual(self.kept(), kept + 1)
        files = os.listdir(self.uploads)
        self.assertEqual(os.stat(os.path.join(self.uploads, files[-1])).st_mode & 0o777, 0o600)
        # Without the CSRF token the confirmation is refused.
        status, _, _ = c.post("/import", {"confirm": m.group(1)})
        self.assertEqual(status, 403)
        # Another session cannot confirm this one's upload.
        o = self.logged_in("officer1")
        status, _, _ = o.post("/import", {"csrf": o.csrf("/import"), "confirm": m.group(1)})
        self.assertEqual(status, 400)
        self.assertEqual(count(self.node, "retiree"), before)
        status, _, text = c.post("/import", {"csrf": token, "confirm": m.group(1)})
        self.assertEqual(status, 200, text)
        self.assertIn("2 records were added to", text)
        self.assertIn('href="/records/retiree"', text)
        self.assertEqual(count(self.node, "retiree"), before + 2)
        out = self.node.cli("list", "retiree").stdout
        self.assertIn("钱导入一", out)
        self.assertIn("孙导入二", out)
        self.assertEqual(self.kept(), kept)  # the file is gone
        # A second confirmation imports nothing again.
        status, _, _ = c.post("/import", {"csrf": token, "confirm": m.group(1)})
        self.assertEqual(status, 400)
        self.assertEqual(count(self.node, "retiree"), before + 2)

    def test_import_refused_at_confirm_writes_nothing(self):
        """The store changed between the preview and the confirmation (the
        retiree the rows name was deleted): the import refuses every row."""
        c = self.logged_in("clerk1")
        rid = self.add_retiree(c, name="冯导入", birth_date="1929-03-04")
        csv = f"retiree,date,type\n{rid},2026-01-05,生日\n{rid},2026-02-05,重大节日\n".encode()
        status, _, text = c.post_file("/import", {"csrf": c.csrf("/import"), "collection": "visit"},
                                      "file", "走访.csv", csv)
        m = re.search(r'name="confirm" value="([0-9a-f]{64})"', text)
        self.assertTrue(m, text)
        kept, visits = self.kept(), count(self.node, "visit")
        self.node.cli("delete", rid)
        status, _, text = c.post("/import", {"csrf": c.csrf("/import"), "confirm": m.group(1)})
        self.assertEqual(status, 400, text)
        self.assertIn("走访.csv", text)  # the browser's name for the file, not the server's
        self.assertNotIn(self.uploads, text)
        self.assertEqual(count(self.node, "visit"), visits)
        self.assertEqual(self.kept(), kept - 1)

    def test_import_xlsx_preview(self):
        """An XLSX workbook (the node's own export) is previewed like a CSV file."""
        c = self.logged_in("clerk1")
        self.add_retiree(c, name="褚导出")
        x = os.path.join(self.node.tmp, "花名册.xlsx")
        self.node.cli("export", "retiree", x)
        n = count(self.node, "retiree")
        with open(x, "rb") as f:
            data = f.read()
        self.assertEqual(data[:2], b"PK")
        status, _, text = c.post_file("/import", {"csrf": c.csrf("/import"), "collection": "retiree"},
                                      "file", "花名册.xlsx", data)
        self.assertEqual(status, 200, text)
        self.assertIn(f"Rows read: {n}; can be imported: {n}; refused: 0.", text)
        self.assertEqual(count(self.node, "retiree"), n)

    def test_import_login_csrf_size(self):
        anon = Client(self.base)
        status, headers, _ = anon.get("/import")
        self.assertEqual((status, headers["Location"]), (303, "/login"))
        before = count(self.node, "retiree")
        status, headers, _ = anon.post_file("/import", {"collection": "retiree"}, "file", "a.csv",
                                            self.GOOD_CSV.encode())
        self.assertEqual((status, headers["Location"]), (303, "/login"))
        c = self.logged_in("clerk1")
        self.assertEqual(c.get("/import")[0], 200)
        self.assertEqual(self.logged_in("officer1").get("/import")[0], 200)
        status, _, _ = c.post_file("/import", {"collection": "retiree"}, "file", "a.csv", self.GOOD_CSV.encode())
        self.assertEqual(status, 403)
        status, _, text = c.post_file("/import", {"csrf": c.csrf("/import"), "collection": "retiree"},
                                      "file", "big.csv", b"x" * (33 << 20))
        self.assertEqual(status, 413)
        self.assertIn("32 MiB", text)
        status, _, text = c.post_file("/import", {"csrf": c.csrf("/import"), "collection": "retiree"},
                                      "file", "", b"")  # the form sent without a file chosen
        self.assertEqual(status, 400)
        self.assertIn("Choose a file to import.", text)
        self.assertEqual(count(self.node, "retiree"), before)

    def test_import_escaping(self):
        c = self.logged_in("clerk1")
        csv = ("姓名,类别,出生日期\n" + "x,<script>alert(1)</script>,1930-01-01\n").encode()
        status, _, text = c.post_file("/import", {"csrf": c.csrf("/import"), "collection": "retiree"},
                                      "file", "<script>alert(2)</script>.csv", csv)
        self.assertEqual(status, 200, text)
        self.assertNotIn("<script>", text)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", text)
        self.assertIn("&lt;script&gt;alert(2)&lt;/script&gt;.csv", text)

    def test_import_uploads_removed_at_stop(self):
        node = Node()
        try:
            up = os.path.join(node.tmp, "uploads")
            os.mkdir(up)
            c = Client(node.start(lang="en", tmpdir=up))
            c.login("clerk1", Node.PASSWORDS["clerk1"])
            status, _, text = c.post_file("/import", {"csrf": c.csrf("/import"), "collection": "retiree"},
                                          "file", "a.csv", self.GOOD_CSV.encode())
            self.assertIn('name="confirm"', text)
            self.assertEqual(len(os.listdir(up)), 1)
            node.stop()
            self.assertEqual(os.listdir(up), [])
        finally:
            node.cleanup()


class WebReviewChecking(unittest.TestCase):
    """The review page shows the newest finished silver-review check while a
    newer one runs (a whole-store check takes seconds on a large hub): here
    silver-review is slowed down by 1.5 s (SILVER_REVIEW names a wrapper)."""

    @classmethod
    def setUpClass(cls):
        from webtest import BIN
        cls.node = Node()
        real = os.path.abspath(os.path.join(BIN, "silver-review"))
        cls.wrapper = os.path.join(cls.node.tmp, "slow-review")
        with open(cls.wrapper, "w") as f:
            f.write("#!/usr/bin/env python3\nimport os, sys, time\ntime.sleep(1.5)\n"
                    f"os.execv({real!r}, [{real!r}] + sys.argv[1:])\n")
        os.chmod(cls.wrapper, 0o755)
        cls.node.start(lang="en", env_extra={"SILVER_REVIEW": cls.wrapper})

    @classmethod
    def tearDownClass(cls):
        cls.node.cleanup()

    def review_until_checked(self, c):
        for _ in range(40):  # at most 20 s
            status, _, text = c.get("/review")
            self.assertEqual(status, 200)
            if 'id="checking"' not in text:
                return text
            time.sleep(0.5)
        self.fail("the review check did not finish")

    def test_stale_check_shown_then_replaced(self):
        from webtest import run
        c = Client(self.node.base)
        c.login("officer1", Node.PASSWORDS["officer1"])
        # The first check of all is waited for.
        status, _, text = c.get("/review")
        self.assertEqual(status, 200)
        self.assertIn('id="nodups"', text)
        self.assertNotIn('id="checking"', text)
        # A duplicate arrives from another township (a bundle).
        rid = self.node.cli("add", "retiree", "name=王重", "category=retired", "birth_date=1931-02-03",
                            "id_number=410184193102030011").stdout.strip()
        other = os.path.join(self.node.tmp, "guodian")
        run(other, "init", "--township", "guodian", "--name", "郭店镇")
        run(other, "add", "retiree", "name=王重", "category=retired", "birth_date=1931-02-03",
            "id_number=410184193102030011")
        b = os.path.join(self.node.tmp, "guodian.bundle")
        run(other, "export-bundle", b)
        self.node.cli("import-bundle", b)
        # At once: the earlier check, saying a newer one runs.
        status, _, text = c.get("/review")
        self.assertEqual(status, 200)
        self.assertIn('id="checking"', text)
        self.assertIn('id="nodups"', text)
        # Then the newer one.
        text = self.review_until_checked(c)
        self.assertIn('id="duplicates"', text)
        self.assertEqual(text.count("王重"), 2)
        # A record deleted since the shown check is left out of it at once.
        self.node.cli("delete", rid)
        status, _, text = c.get("/review")
        self.assertIn('id="checking"', text)
        self.assertIn('id="nodups"', text)
        self.assertIn('id="nodups"', self.review_until_checked(c))


class WebChinese(unittest.TestCase):
    def test_chinese_first(self):
        node = Node()
        try:
            node.start()  # no LANGUAGE: Chinese
            c = Client(node.base)
            _, _, text = c.get("/login")
            self.assertIn("登录", text)
            c.login("clerk1", Node.PASSWORDS["clerk1"])
            _, _, text = c.get("/new/retiree")
            self.assertIn("姓名", text)
            self.assertIn("离休干部", text)  # an enum's choice by its label, not its code
            status, _, text = c.post_file("/import", {"csrf": c.csrf("/import"), "collection": "retiree"},
                                          "file", "a.csv", WebHttp.GOOD_CSV.encode())
            self.assertIn("读取 2 行；可导入 2 行；被拒绝 0 行。", text)
            self.assertIn('value="导入 2 行"', text)
            m = re.search(r'name="confirm" value="([0-9a-f]{64})"', text)
            status, _, text = c.post("/import", {"csrf": c.csrf("/import"), "confirm": m.group(1)})
            self.assertIn("已向离退休干部添加 2 条记录。", text)
        finally:
            node.cleanup()

    def test_bad_listen(self):
        node = Node()
        try:
            p = node.cli("web", "--listen", "example.org:80", check=False)
            self.assertEqual(p.returncode, 2)
            p = node.cli("user", "add", "Bad Name", "--role", "clerk", stdin="whatever-pass\n", check=False)
            self.assertEqual(p.returncode, 2)
            p = node.cli("user", "add", "short", "--role", "clerk", stdin="short\n", check=False)
            self.assertEqual(p.returncode, 3)
            p = node.cli("user", "add", "clerk1", "--role", "clerk", stdin="another-pass\n", check=False)
            self.assertEqual(p.returncode, 3)
        finally:
            node.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
