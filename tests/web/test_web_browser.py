#!/usr/bin/env python3
"""The workbench in a real browser: headless Chromium driven by Selenium
logs in, adds a retiree, records a visit from the retiree's page, settles
a conflict made by a field laptop, deletes a payment the laptop and the
office both entered, and the results are checked with `silvernode show`
and `silvernode conflicts`.

SILVER_WEB_SCREENSHOTS=DIR saves the pages as PNG files into DIR (docs/
uses them: docs/WEB.md)."""
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from webtest import Node, run  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

SHOTS = os.environ.get("SILVER_WEB_SCREENSHOTS")


def driver_path():
    for p in (shutil.which("chromedriver"), "/usr/bin/chromedriver"):
        if p and os.path.exists(p):
            return p
    raise AssertionError("chromedriver not found: install chromium-driver (tools/bootstrap.sh --test-deps)")


class Browser(unittest.TestCase):
    def setUp(self):
        self.node = Node()
        # A laptop of the same township, for a conflict.
        self.laptop = os.path.join(self.node.tmp, "laptop")
        run(self.laptop, "init", "--township", "longhu", "--name", "龙湖镇外勤")
        self.node.start()  # Chinese, as an office sees it
        opts = webdriver.ChromeOptions()
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1280,900", "--lang=zh-CN"):
            opts.add_argument(a)
        opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        self.d = webdriver.Chrome(service=Service(driver_path()), options=opts)
        self.d.set_page_load_timeout(30)

    def tearDown(self):
        try:
            self.d.quit()
        finally:
            self.node.cleanup()

    def shot(self, name):
        if SHOTS:
            os.makedirs(SHOTS, exist_ok=True)
            self.d.save_screenshot(os.path.join(SHOTS, name + ".png"))

    def click(self, elem):
        """Click, and wait for the next page (a click does not wait for it)."""
        page = self.d.find_element(By.TAG_NAME, "html")
        elem.click()

        def gone(_):
            # The old page is gone when its root is stale.  Chromium may say
            # so with a generic error while the new document replaces it
            # ("Node with given id does not belong to the document").
            try:
                page.is_enabled()
                return False
            except WebDriverException:
                return True

        WebDriverWait(self.d, 20).until(gone)
        WebDriverWait(self.d, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def go(self, path):
        self.d.get(self.node.base + path)

    def test_office_day(self):
        d = self.d
        # Log in.
        self.go("/records/retiree")
        self.assertIn("/login", d.current_url)
        d.find_element(By.ID, "user").send_keys("officer1")
        d.find_element(By.ID, "password").send_keys(Node.PASSWORDS["officer1"])
        self.shot("web-login")
        self.click(d.find_element(By.ID, "login"))
        self.assertTrue(d.current_url.endswith("/records/retiree"), d.current_url)

        # Add a retiree (choices by their Chinese labels).
        self.click(d.find_element(By.ID, "new"))
        d.find_element(By.ID, "name").send_keys("张德明")
        Select(d.find_element(By.ID, "category")).select_by_visible_text("离休干部")
        Select(d.find_element(By.ID, "gender")).select_by_visible_text("男")
        d.find_element(By.ID, "birth_date").send_keys("1928-03-15")
        d.find_element(By.ID, "id_number").send_keys("410184192803150011")
        d.find_element(By.ID, "address").send_keys("龙湖镇文化路 8 号")
        d.find_element(By.ID, "hardship_old_age").click()
        self.shot("web-new-retiree")
        self.click(d.find_element(By.ID, "save"))
        self.assertIn("/record/longhu/retiree/", d.current_url)
        rid = d.current_url.split("/record/", 1)[1]
        self.assertEqual(d.find_element(By.ID, "f_name").text, "张德明")

        # Record a visit from the retiree's page: the retiree is picked, not typed.
        self.click(d.find_element(By.ID, "new_visit"))
        sel = Select(d.find_element(By.ID, "retiree"))
        self.assertIn("张德明", sel.first_selected_option.text)
        d.find_element(By.ID, "date").send_keys("2026-03-15")
        Select(d.find_element(By.ID, "type")).select_by_index(1)
        d.find_element(By.ID, "staff").send_keys("赵敏")
        self.click(d.find_element(By.ID, "save"))
        self.assertIn("/record/longhu/visit/", d.current_url, d.page_source[-3000:])
        vid = d.current_url.split("/record/", 1)[1]
        self.assertIn("张德明", d.find_element(By.ID, "f_retiree").text)
        history = d.find_element(By.ID, "history").text
        self.assertIn("officer1", history)
        self.shot("web-visit")

        show = self.node.cli("show", vid).stdout
        self.assertIn(rid, show)
        self.assertIn("2026-03-15", show)
        self.assertIn("赵敏", show)

        # A conflict: the laptop and the office change the address differently.
        bundle = os.path.join(self.node.tmp, "to-laptop.bundle")
        self.node.cli("export-bundle", bundle)
        run(self.laptop, "import-bundle", bundle)
        run(self.laptop, "set", rid, "address=龙湖镇文化路 10 号")
        d.get(self.node.base + "/edit/" + rid)
        addr = d.find_element(By.ID, "address")
        addr.clear()
        addr.send_keys("龙湖镇文化路 12 号")
        self.click(d.find_element(By.ID, "save"))
        # The same aid payment entered by the laptop and, in the browser, by the office.
        run(self.laptop, "add", "aid", "retiree=" + rid, "date=2026-04-02", "amount=1500.50",
            "reason=low_income")
        self.go("/record/" + rid)
        self.click(d.find_element(By.ID, "new_aid"))
        d.find_element(By.ID, "date").send_keys("2026-04-02")
        d.find_element(By.ID, "amount").send_keys("1500.50")
        Select(d.find_element(By.ID, "reason")).select_by_visible_text("家庭收入低")
        self.click(d.find_element(By.ID, "save"))
        self.assertIn("/record/longhu/aid/", d.current_url)
        ours = d.current_url.split("/record/", 1)[1]
        back = os.path.join(self.node.tmp, "to-office.bundle")
        run(self.laptop, "export-bundle", back)
        self.node.cli("import-bundle", back)
        self.assertIn(rid, self.node.cli("conflicts").stdout)

        self.go("/records/retiree")
        self.shot("web-retirees")
        self.go("/record/" + rid)
        self.shot("web-record")
        self.go("/conflicts")
        table = d.find_element(By.ID, "conflicts").text
        self.assertIn("张德明", table)  # the person, by name
        self.assertIn("文化路 10 号", table)
        self.assertIn("文化路 12 号", table)
        self.shot("web-conflicts")
        # Keep the laptop's value (whichever row holds it).
        for div in d.find_elements(By.CSS_SELECTOR, "#conflicts td div"):
            if "文化路 10 号" in div.text:
                self.click(div.find_element(By.CSS_SELECTOR, "input.take"))
                break
        else:
            self.fail("no contender with the laptop's value")
        self.assertTrue(d.find_elements(By.ID, "noconflicts"))
        self.assertEqual(self.node.cli("conflicts").stdout.count(rid), 0)
        self.assertIn("龙湖镇文化路 10 号", self.node.cli("show", rid).stdout)

        # The review: the double payment, by name; the office deletes its copy.
        self.go("/review")
        table = d.find_element(By.ID, "anomalies").text
        self.assertIn("张德明", table)
        self.assertIn("1500.50", table)
        self.shot("web-review")
        for div in d.find_elements(By.CSS_SELECTOR, "#anomalies td div"):
            if ours in div.text:
                self.click(div.find_element(By.CSS_SELECTOR, "input.delete"))
                break
        else:
            self.fail("the office's payment is not listed")
        self.assertTrue(d.find_elements(By.ID, "noanomalies"))
        self.assertIn("deleted", self.node.cli("show", ours).stdout)

        # The county dashboard (an officer's page).
        self.go("/county")
        self.assertIn("龙湖镇", d.find_element(By.ID, "townships").text)
        self.shot("web-dashboard")
        self.click(d.find_element(By.ID, "stats"))
        self.assertIn("龙湖镇", d.find_element(By.TAG_NAME, "body").text)
        self.shot("web-stats")

        # Import a table: a file chosen on the form and previewed; a refused
        # row is shown and nothing is written; the corrected file is imported.
        csv = os.path.join(self.node.tmp, "花名册.csv")
        with open(csv, "w", encoding="utf-8") as f:
            f.write("姓名,类别,性别,出生日期\n王秀英,退休,女,1935/6/7\n李国华,离休干部,男,1929年2月30日\n")
        self.go("/import")
        Select(d.find_element(By.ID, "collection")).select_by_visible_text("离退休干部")
        d.find_element(By.ID, "file").send_keys(csv)
        self.click(d.find_element(By.ID, "preview"))
        self.assertIn("被拒绝 1 行", d.find_element(By.ID, "rows").text)
        self.assertIn("出生日期", d.find_element(By.ID, "refused").text)
        self.shot("web-import")
        self.assertNotIn("王秀英", self.node.cli("list", "retiree").stdout)
        with open(csv, "w", encoding="utf-8") as f:
            f.write("姓名,类别,性别,出生日期\n王秀英,退休,女,1935/6/7\n李国华,离休干部,男,1929年2月3日\n")
        Select(d.find_element(By.ID, "collection")).select_by_visible_text("离退休干部")
        d.find_element(By.ID, "file").send_keys(csv)
        self.click(d.find_element(By.ID, "preview"))
        self.assertIn("读取 2 行", d.find_element(By.ID, "rows").text)
        self.assertNotIn("王秀英", self.node.cli("list", "retiree").stdout)
        self.click(d.find_element(By.ID, "confirm"))
        self.assertIn("2 条记录", d.find_element(By.ID, "imported").text)
        listed = self.node.cli("list", "retiree").stdout
        self.assertIn("王秀英", listed)
        self.assertIn("李国华", listed)

        # Log out: the pages are gone.
        self.click(d.find_element(By.CSS_SELECTOR, "#top input[type=submit]"))
        self.go("/records/retiree")
        self.assertIn("/login", d.current_url)


if __name__ == "__main__":
    unittest.main(verbosity=2)
