#!/usr/bin/env python3
"""tools/gen_county.py - build a demo county by driving the real programs.

usage: tools/gen_county.py --out DIR [--bin BINDIR] [--seed N] [--scale full|small]
                           [--transport net|bundle] [--show TOWNSHIP] [--quiet]
       tools/gen_county.py --out DIR --resync [--quiet]

Builds, in DIR, the county of Xinzheng (docs/DEMO.md): the county admin, the hub
(township "county") and one node per township (15 at --scale full, 4 at small), two
townships with a second laptop.  Every office works offline: spreadsheets (CSV) of
party branches, retirees, visits, deliveries, aid payments, ceremonies, activities,
lectures and community services are imported (one signed transaction per file), a few
records are typed in with `add`, and the laptops meet their office's records on a USB
stick and edit some of them differently.  Then every node syncs with the hub in a
random order (from --seed), leaving for review: a field edited two ways, a record
edited on one node and deleted on the other, and an aid payment entered twice.

At --scale full, once the review has settled those, the county's figures are those of
the 2025 report (../shared/seed): 27 honorary retirees, 346 people helped with
1,302,450.00 yuan, 217 ceremonies, 128 lectures and 96 reports, 140 mediation cases
received and 120 settled, 7 volunteer teams, 13 clubs, model branches 2 / 10 / 11.
DIR/county.json records the keys, the nodes, the collisions and the expected figures.

  --bin DIR        where silvernode is (default: $SILVER_BIN, else build/bin)
  --transport T    net (default): silvernode hub / sync over ZeroMQ on 127.0.0.1;
                   bundle: the same exchanges by bundle files
  --show T         the township whose every command is printed (default: longhu)
  --quiet          print nothing but errors
  --resync         in an existing county: every node syncs with the hub once more
                   (after a review), then the township digests are compared
"""

import argparse
import csv
import json
import os
import random
import shlex
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta

TOWNSHIPS = [
	("xinjianlu", "新建路街道"), ("xinhualu", "新华路街道"), ("xinyan", "新烟街道"),
	("longhu", "龙湖镇"), ("mengzhuang", "孟庄镇"), ("guodian", "郭店镇"),
	("xuedian", "薛店镇"), ("hezhuang", "和庄镇"), ("xincun", "新村镇"),
	("xindian", "辛店镇"), ("guanyinsi", "观音寺镇"), ("lihe", "梨河镇"),
	("chengguan", "城关乡"), ("baqian", "八千乡"), ("longwang", "龙王乡"),
]
SMALL = ("longhu", "xinhualu", "xinjianlu", "guodian")
# The townships with a second node (a laptop for home visits).
LAPTOPS = ("longhu", "xinhualu")

TEAMS = ["银发宣讲队", "黄帝文化传承队", "乡村振兴队", "文明倡导队", "文艺宣传队",
	 "五老关爱队", "基层治理队"]
CLUBS = ["老干部戏迷协会", "太极拳协会", "书法协会", "绘画协会", "摄影协会", "合唱团",
	 "舞蹈队", "门球协会", "乒乓球协会", "诗词楹联协会", "健身气功协会", "模特队",
	 "器乐协会"]
MEDIATORS = ["王振华", "李国强", "张淑珍", "刘建军", "陈志远", "赵玉兰"]

# The report's date: every event of the demo county is dated before it.
REPORT_DATE = date(2025, 8, 17)
FIRST_DATE = date(2021, 1, 1)

# The county's figures.  Money in fen.  Activities: (kind, group, count, audience).
TARGETS = {
	"full": {
		"townships": [t for t, _ in TOWNSHIPS],
		"honorary": 27, "retired": 612, "helped": 346, "aid_fen": 130245000,
		"ceremonies": 217, "ceremonies_county": 25,
		"lectures": 128, "lectures_county": 40, "reports": 96, "six_into": 36,
		"lecture_attendance": 47360, "six_into_attendance": 231200,
		"cases": 140, "settled": 120, "failed": 8,
		"branches": {"provincial": 2, "city": 10, "county": 11},
		"branches_per_township": (3, 5),
		"activities": [
			("performance", "文艺宣传队", 112, 33600),
			("youth_event", "五老关爱队", 93, 30420),
			("science_trip", "乡村振兴队", 22, 2640),
			("leaflets", "文明倡导队", 18, 11000),
			("opera", "老干部戏迷协会", 213, 42600),
			("new_piece", "老干部戏迷协会", 82, 0),
			("other", "*", 60, 3600),
		],
		"services": 36000,
	},
	"small": {
		"townships": list(SMALL),
		"honorary": 6, "retired": 40, "helped": 20, "aid_fen": 5234560,
		"ceremonies": 12, "ceremonies_county": 3,
		"lectures": 8, "lectures_county": 3, "reports": 6, "six_into": 3,
		"lecture_attendance": 1400, "six_into_attendance": 5000,
		"cases": 9, "settled": 7, "failed": 1,
		"branches": {"provincial": 1, "city": 2, "county": 2},
		"branches_per_township": (2, 3),
		"activities": [
			("performance", "文艺宣传队", 5, 1500),
			("youth_event", "五老关爱队", 4, 800),
			("opera", "老干部戏迷协会", 6, 1200),
			("other", "*", 3, 90),
		],
		"services": 200,
	},
}

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "德明秀英建国桂兰志强淑珍玉兰国华文华振华海燕春花永福金凤宝山长林根生凤英红梅丽华素芬庆云俊杰光荣兴旺晓东卫东爱民树林瑞芳月娥焕章世昌占魁连召二建"
COMMUNITIES = ["文昌社区", "华夏社区", "祥和社区", "轩辕社区", "新华社区", "金城社区",
	       "郑韩社区", "龙湖社区", "泰山村", "梨园社区"]
SERVICE_KINDS = ["治安巡逻", "文明劝导", "矛盾调解", "环境整治", "关爱青少年", "政策宣讲"]
TOPICS = ["党的二十届三中全会精神", "习近平新时代中国特色社会主义思想", "党纪学习教育",
	  "中央八项规定精神", "黄帝文化与家风传承", "智能手机使用", "健康养生"]

ISO_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


class Failed(Exception):
	pass


def id_number(birth, serial, female):
	"""A well-formed 18-digit resident ID (410184 = Xinzheng), check digit included."""
	seq = serial % 1000
	if (seq % 2 == 0) != female:
		seq = (seq + 1) % 1000
	body = "410184%s%03d" % (birth.strftime("%Y%m%d"), seq)
	s = sum(int(c) * w for c, w in zip(body, ISO_W))
	return body + "10X98765432"[s % 11]


def split(total, weights, rng):
	"""Integers proportional to weights that sum to total exactly."""
	wsum = float(sum(weights))
	raw = [total * w / wsum for w in weights]
	out = [int(r) for r in raw]
	order = sorted(range(len(raw)), key=lambda i: (raw[i] - out[i], rng.random()), reverse=True)
	for i in order[:total - sum(out)]:
		out[i] += 1
	return out


def amounts(total, n, rng, lo=0.4, hi=1.6, step=10):
	"""n positive amounts (multiples of step) summing to total exactly."""
	w = [rng.uniform(lo, hi) for _ in range(n)]
	s = sum(w)
	out = [max(step, int(total * x / s) // step * step) for x in w]
	out[out.index(max(out))] += total - sum(out)
	assert sum(out) == total and min(out) > 0
	return out


def rdate(rng, lo=FIRST_DATE, hi=REPORT_DATE):
	return lo + timedelta(days=rng.randrange((hi - lo).days + 1))


def yuan(fen):
	return "%d.%02d" % (fen // 100, fen % 100)


class County:
	def __init__(self, args):
		self.args = args
		self.out = os.path.abspath(args.out)
		self.bin = args.bin
		self.rng = random.Random(args.seed)
		self.quiet = args.quiet
		self.hub_proc = None
		self.endpoint = None
		self.manifest = {}

	# ---- printing and running ------------------------------------------------

	def say(self, text=""):
		if not self.quiet:
			print(text, flush=True)

	def step(self, text):
		if not self.quiet:
			print("\n\033[1m== %s\033[0m" % text, flush=True)

	def show_cmd(self, prog, argv):
		if not self.quiet:
			words = [a if a == "&" or a.startswith("$") else shlex.quote(a) for a in argv]
			print("\033[2m$ %s\033[0m" % " ".join([prog] + words), flush=True)

	def run(self, prog, argv, show=False, echo=None, check=True):
		"""Run a program of the build in the county directory; its stdout."""
		if echo is None:
			echo = show
		if show:
			self.show_cmd(prog, argv)
		p = subprocess.run([os.path.join(self.bin, prog)] + argv, cwd=self.out,
				   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
		if check and p.returncode != 0:
			raise Failed("%s %s: exit %d\n%s" % (prog, " ".join(argv), p.returncode,
							       p.stderr.strip()))
		if echo and not self.quiet:
			sys.stdout.write(p.stdout)
			sys.stdout.flush()
		return p.stdout

	def sn(self, node, argv, show=False, echo=None):
		return self.run("silvernode", ["--dir", node] + argv, show, echo)

	def key_of(self, node):
		return json.loads(self.sn(node, ["id", "--json"]))["key"]

	def write_csv(self, path, header, rows):
		full = os.path.join(self.out, path)
		os.makedirs(os.path.dirname(full), exist_ok=True)
		with open(full, "w", newline="", encoding="utf-8") as f:
			w = csv.writer(f, lineterminator="\n")
			w.writerow(header)
			w.writerows(rows)
		return path

	def import_csv(self, node, coll, header, rows, show):
		if not rows:
			return
		path = self.write_csv("csv/%s/%s.csv" % (node, coll), header, rows)
		self.sn(node, ["import", coll, path], show)

	def ids_by(self, node, coll, field):
		recs = json.loads(self.sn(node, ["list", coll, "--json"]))
		return {r["fields"].get(field): r["id"] for r in recs}

	# ---- the hub, over the network or by bundles -----------------------------

	def free_port(self):
		with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
			s.bind(("127.0.0.1", 0))
			return s.getsockname()[1]

	def hub_start(self, show=True):
		if self.manifest["transport"] != "net":
			return
		self.endpoint = "tcp://127.0.0.1:%d" % self.free_port()
		argv = ["--dir", "hub", "hub", "--listen", self.endpoint]
		if show:
			self.show_cmd("silvernode", argv + ["&"])
		log = open(os.path.join(self.out, "hub.log"), "a")
		self.hub_proc = subprocess.Popen([os.path.join(self.bin, "silvernode")] + argv,
						 cwd=self.out, stdout=log, stderr=log)
		log.close()
		for _ in range(100):
			time.sleep(0.05)
			if self.hub_proc.poll() is not None:
				raise Failed("the hub stopped at once (exit %d): see %s/hub.log" %
					     (self.hub_proc.returncode, self.out))
			with open(os.path.join(self.out, "hub.log")) as f:
				if "listening" in f.read():
					return
		raise Failed("the hub did not start listening: see %s/hub.log" % self.out)

	def hub_stop(self, show=True):
		if self.hub_proc is None:
			return
		if show:
			self.say("(the hub is stopped: kill -TERM its process)")
		self.hub_proc.send_signal(signal.SIGTERM)
		try:
			self.hub_proc.wait(timeout=10)
		except subprocess.TimeoutExpired:
			self.hub_proc.kill()
			self.hub_proc.wait()
		self.hub_proc = None

	def sync(self, node, show=True):
		"""One exchange between a node and the hub; a one-line summary."""
		if self.manifest["transport"] == "net":
			argv = ["sync", self.endpoint, "--server-key", self.manifest["hub_key"]]
			if show:
				self.show_cmd("silvernode", ["--dir", node, "sync", self.endpoint,
							      "--server-key", "$HUB_KEY"])
			outp = self.sn(node, argv)
			return outp.strip().splitlines()[-1] if outp.strip() else ""
		key = self.manifest["nodes"][node]["key"] if node != "admin" else None
		up = "sticks/%s-to-hub.bundle" % node
		down = "sticks/hub-to-%s.bundle" % node
		os.makedirs(os.path.join(self.out, "sticks"), exist_ok=True)
		self.sn(node, ["export-bundle", up, "--since-of", "hub"], show, echo=False)
		a = self.sn("hub", ["import-bundle", up], show, echo=False).strip()
		argv = ["export-bundle", down, "--since-of", node]
		if key:
			argv += ["--for", key]
		self.sn("hub", argv, show, echo=False)
		b = self.sn(node, ["import-bundle", down], show, echo=False).strip()
		return "to the hub: %s | back: %s" % (a.splitlines()[0], b.splitlines()[0])

	# ---- the county ------------------------------------------------------------

	def build(self):
		a = self.args
		T = TARGETS[a.scale]
		rng = self.rng
		os.makedirs(self.out, exist_ok=False)
		self.manifest = {"format": "silversync-demo-county", "version": 1, "seed": a.seed,
				 "scale": a.scale, "transport": a.transport, "nodes": {},
				 "report_date": REPORT_DATE.isoformat()}
		towns = T["townships"]
		names = dict(TOWNSHIPS)
		show_town = a.show if a.show in towns else towns[0]
		towns = [show_town] + [t for t in towns if t != show_town]
		node_list = []
		for t in towns:
			node_list.append((t, t, names[t], False))
			if t in LAPTOPS:
				node_list.append((t + "-laptop", t, names[t] + "走访笔记本", True))

		self.step("1. The county admin makes its key (kept offline)")
		self.sn("admin", ["admin", "init", "--name", "新郑市委组织部"], True)
		admin = self.key_of("admin")
		self.manifest["admin_key"] = admin

		self.step("2. The hub and %d township nodes are set up, each pinning the admin key"
			  % len(node_list))
		self.sn("hub", ["init", "--township", "county", "--name", "新郑市老干部科枢纽",
				"--admin", admin], True)
		self.manifest["hub_key"] = self.key_of("hub")
		joins = {}
		for node, t, name, laptop in node_list:
			show = t == show_town
			outp = self.sn(node, ["init", "--township", t, "--name", name, "--admin", admin],
				       show)
			joins[node] = [l for l in outp.splitlines() if "silversync-join" in l][0]
			joins[node] = joins[node][joins[node].index("silversync-join"):]
			self.manifest["nodes"][node] = {"township": t, "name": name,
							"laptop": laptop, "key": self.key_of(node)}
		self.say("(and so on for %s)" % ", ".join(n for n, t, _, _ in node_list if t != show_town))

		self.step("3. The admin certifies the hub and every office from its join line")
		self.sn("admin", ["admin", "certify", self.manifest["hub_key"], "--role", "hub",
				  "--name", "县枢纽"], True)
		for node, t, name, laptop in node_list:
			self.sn("admin", ["admin", "certify", "--join"] + shlex.split(joins[node]),
				t == show_town)
		self.say("(%d more certified the same way)" %
			 sum(1 for _, t, _, _ in node_list if t != show_town))
		self.sn("admin", ["admin", "list"], True)

		self.step("4. The hub records the county's own work: the 7 volunteer teams, the 13 "
			  "clubs, the mediation room's cases, county lectures and ceremonies")
		self.import_csv("hub", "team", ["name"], [[n] for n in TEAMS], True)
		self.import_csv("hub", "club", ["name"], [[n] for n in CLUBS], True)
		groups = {}
		groups.update(self.ids_by("hub", "team", "name"))
		groups.update(self.ids_by("hub", "club", "name"))
		cases = []
		statuses = (["settled"] * T["settled"] + ["failed"] * T["failed"] +
			    ["open"] * (T["cases"] - T["settled"] - T["failed"]))
		rng.shuffle(statuses)
		for st in statuses:
			rec = rdate(rng, hi=REPORT_DATE - timedelta(days=60))
			closed = (rec + timedelta(days=rng.randrange(5, 50))).isoformat() \
				if st != "open" else ""
			cases.append([rec.isoformat(), rng.choice(["pre_litigation", "in_litigation"]),
				      rng.choice(MEDIATORS), st, closed, "退休法官调解室"])
		self.import_csv("hub", "case", ["received_date", "stage", "mediator", "status",
						"closed_date", "notes"], cases, True)
		lect_county = [[rdate(rng).isoformat(), "lecture", "老干部大讲堂：" + rng.choice(TOPICS), 0]
			       for _ in range(T["lectures_county"])]
		cer_county = [["科级干部" + self.person_name(rng), rdate(rng).isoformat(), "新郑市直机关"]
			      for _ in range(T["ceremonies_county"])]
		self.import_csv("hub", "ceremony", ["person", "date", "unit"], cer_county, True)

		# Lectures: attendance split over every lecture and report of the county.
		n_lr = T["lectures"] + T["reports"]
		att = split(T["lecture_attendance"], [rng.uniform(0.5, 1.5) for _ in range(n_lr)], rng)
		for i, row in enumerate(lect_county):
			row[3] = att[i]
		att = att[len(lect_county):]
		self.import_csv("hub", "lecture", ["date", "kind", "topic", "attendance"], lect_county, True)

		self.step("5. The hub starts listening; the admin and every office sync once to "
			  "receive the certificates and the county's teams and clubs")
		self.hub_start()
		self.manifest["endpoint"] = self.endpoint
		self.say("  %-18s %s" % ("admin", self.sync("admin")))
		for node, t, _, _ in node_list:
			line = self.sync(node, t == show_town)
			self.say("  %-18s %s" % (node, line))

		# ---- offline work: spread the county's figures over the townships ----
		tw = {t: rng.uniform(0.6, 1.6) * (1.4 if t.startswith("xin") else 1.0) for t in towns}
		wl = [tw[t] for t in towns]
		per = {}
		for key in ("honorary", "retired", "helped", "services"):
			per[key] = dict(zip(towns, split(T[key], wl, rng)))
		per["ceremonies"] = dict(zip(towns, split(T["ceremonies"] - T["ceremonies_county"], wl, rng)))
		per["lectures"] = dict(zip(towns, split(T["lectures"] - T["lectures_county"], wl, rng)))
		per["reports"] = dict(zip(towns, split(T["reports"], wl, rng)))
		per["six_into"] = dict(zip(towns, split(T["six_into"], wl, rng)))
		six_att = split(T["six_into_attendance"], [rng.uniform(0.5, 1.5) for _ in range(T["six_into"])], rng)
		acts = {t: [] for t in towns}
		for kind, group, count, audience in T["activities"]:
			auds = split(audience, [rng.uniform(0.5, 1.5) for _ in range(count)], rng) \
				if audience else [0] * count
			for i, n in enumerate(split(count, wl, rng)):
				for _ in range(n):
					g = group if group != "*" else rng.choice(TEAMS[:4] + TEAMS[6:] + CLUBS[1:])
					aud = auds.pop()
					acts[towns[i]].append([rdate(rng).isoformat(), kind, groups[g],
							       names[towns[i]], rng.randrange(8, 40),
							       aud if audience else ""])
		# Branches: every township has a few; the model levels spread over them.
		lo, hi = T["branches_per_township"]
		nbr = {t: rng.randint(lo, hi) for t in towns}
		levels = []
		for lvl, n in T["branches"].items():
			levels += [lvl] * n
		levels += ["none"] * (sum(nbr.values()) - len(levels))
		rng.shuffle(levels)
		# Aid: who is helped, how many payments, exact amounts.
		helped_n = per["helped"]
		npay = {t: [1 + (rng.random() < 0.35) + (rng.random() < 0.1) for _ in range(helped_n[t])]
			for t in towns}
		total_pay = sum(sum(v) for v in npay.values())
		pay_amounts = amounts(T["aid_fen"], total_pay, rng)

		self.manifest["expected"] = {
			"honorary": T["honorary"], "retired": T["retired"],
			"retirees": T["honorary"] + T["retired"],
			"helped": T["helped"], "aid_payments": total_pay, "aid_amount": yuan(T["aid_fen"]),
			"aid_amount_fen": T["aid_fen"], "ceremonies": T["ceremonies"],
			"lectures": T["lectures"], "reports": T["reports"], "six_into": T["six_into"],
			"lecture_attendance": T["lecture_attendance"],
			"six_into_attendance": T["six_into_attendance"],
			"cases_received": T["cases"], "cases_settled": T["settled"],
			"teams": len(TEAMS), "clubs": len(CLUBS),
			"branches": dict(T["branches"], none=levels.count("none"), total=len(levels)),
			"activities": sum(c for _, _, c, _ in T["activities"]),
			"audience": sum(a for _, _, _, a in T["activities"]),
			"services": T["services"],
		}

		self.step("6. Every office works offline: spreadsheets (CSV) imported, one signed "
			  "transaction each; single records typed in with add")
		self.say("(the hub and the network are not involved; %s's commands are shown)" %
			 show_town)
		self.by_town = {}
		serial = 0
		for t in towns:
			show = t == show_town
			node = t
			# party branches
			brows = [["%s%s离退休干部党支部" % (names[t], "第%s" % "一二三四五六七八"[i]),
				  self.person_name(rng), self.person_name(rng), levels.pop()]
				 for i in range(nbr[t])]
			self.import_csv(node, "branch", ["name", "secretary", "liaison", "model_level"],
					brows, show)
			branch_ids = list(self.ids_by(node, "branch", "name").values())
			# retirees
			rrows = []
			for i in range(per["honorary"][t] + per["retired"][t]):
				hon = i < per["honorary"][t]
				female = rng.random() < (0.25 if hon else 0.4)
				birth = rdate(rng, date(1924, 1, 1), date(1933, 9, 30)) if hon \
					else rdate(rng, date(1944, 1, 1), date(1965, 6, 30))
				serial += 1
				hard = set()
				if hon:
					hard.add("old_age")
				for k, p in (("illness", 0.15), ("low_income", 0.12), ("other", 0.04)):
					if rng.random() < p:
						hard.add(k)
				check = rdate(rng, date(2025, 3, 1), date(2025, 7, 31)).isoformat() if hon \
					else (rdate(rng, date(2023, 1, 1)).isoformat() if rng.random() < 0.5 else "")
				rrows.append([self.person_name(rng, female), "honorary" if hon else "retired",
					      "f" if female else "m", birth.isoformat(),
					      id_number(birth, serial, female), self.unit(rng, t, names),
					      rng.choice(branch_ids),
					      "%s%s%d号" % (names[t], rng.choice(COMMUNITIES), rng.randrange(1, 200)),
					      "1380371%04d" % (serial % 10000),
					      ",".join(sorted(hard)), check,
					      "一人一档，体检报告已由专家解读" if hon else "",
					      "一人一策：在职干部结对联系，每月电话问候" if hon else ""])
			self.import_csv(node, "retiree",
					["name", "category", "gender", "birth_date", "id_number", "unit", "branch",
					 "address", "phone", "hardship", "checkup_date", "health_notes",
					 "care_plan"], rrows, show)
			by_idn = self.ids_by(node, "retiree", "id_number")
			people = [(by_idn[r[4]], r) for r in rrows]
			hon_ids = [p for p, r in people if r[1] == "honorary"]
			ret_ids = [p for p, r in people if r[1] == "retired"]
			# visits: the five must-visits
			vrows = []
			for p in hon_ids:
				for y in (2023, 2024, 2025):
					vrows.append([p, rdate(rng, date(y, 1, 1), min(date(y, 12, 31), REPORT_DATE)).isoformat(),
						      "birthday", self.person_name(rng), ""])
				vrows.append([p, rdate(rng).isoformat(), "festival", self.person_name(rng), "春节走访慰问"])
				if rng.random() < 0.5:
					vrows.append([p, rdate(rng).isoformat(), "illness", self.person_name(rng), "住院探望"])
			for p in ret_ids:
				r = rng.random()
				if r < 0.2:
					vrows.append([p, rdate(rng).isoformat(), "festival", self.person_name(rng), ""])
				elif r < 0.28:
					vrows.append([p, rdate(rng).isoformat(), rng.choice(["illness", "letter_call", "emergency"]),
						      self.person_name(rng), ""])
			rng.shuffle(vrows)
			first_visit = vrows.pop()
			self.import_csv(node, "visit", ["retiree", "date", "type", "staff", "notes"], vrows, show)
			self.sn(node, ["add", "visit", "retiree=" + first_visit[0], "date=" + first_visit[1],
				       "type=" + first_visit[2], "staff=" + first_visit[3]], show)
			# deliveries: the five deliveries
			drows = []
			for p in hon_ids:
				drows.append([p, rdate(rng).isoformat(), "materials", "学习资料送上门"])
				drows.append([p, rdate(rng).isoformat(), "warmth", "重要节日送温暖"])
				if rng.random() < 0.3:
					drows.append([p, rdate(rng).isoformat(), "care", "生病住院送关怀"])
			for p in rng.sample(ret_ids, len(ret_ids) // 5):
				drows.append([p, rdate(rng).isoformat(), rng.choice(["skills", "aid", "warmth"]), ""])
			self.import_csv(node, "delivery", ["retiree", "date", "type", "notes"], drows, show)
			# aid: the helped, honorary first, then those with hardship flags
			hard_first = sorted(people, key=lambda pr: (pr[1][1] != "honorary", pr[1][9] == "",
								   rng.random()))
			arows = []
			for (p, r), n in zip(hard_first[:helped_n[t]], npay[t]):
				reason = next((k for k in ("illness", "low_income", "old_age", "other")
					       if k in r[9].split(",")), "other")
				for _ in range(n):
					arows.append([p, rdate(rng, date(2022, 1, 1)).isoformat(),
						      yuan(pay_amounts.pop()), reason, "孙科长"])
			first_aid = arows.pop(0)
			self.import_csv(node, "aid", ["retiree", "date", "amount", "reason", "approver"], arows, show)
			self.sn(node, ["add", "aid", "retiree=" + first_aid[0], "date=" + first_aid[1],
				       "amount=" + first_aid[2], "reason=" + first_aid[3],
				       "approver=" + first_aid[4]], show)
			# ceremonies, activities, lectures and reports, community services
			crows = []
			for _ in range(per["ceremonies"][t]):
				crows.append([self.person_name(rng), rdate(rng).isoformat(), self.unit(rng, t, names)])
			self.import_csv(node, "ceremony", ["person", "date", "unit"], crows, show)
			self.import_csv(node, "activity", ["date", "kind", "group", "place", "participants",
							   "audience"], acts[t], show)
			lrows = []
			for kind in ("lecture", "report"):
				for _ in range(per[kind + "s"][t]):
					lrows.append([rdate(rng).isoformat(), kind, rng.choice(TOPICS), att.pop()])
			for _ in range(per["six_into"][t]):
				lrows.append([rdate(rng).isoformat(), "six_into", "“六进”宣讲：" + rng.choice(TOPICS),
					      six_att.pop()])
			self.import_csv(node, "lecture", ["date", "kind", "topic", "attendance"], lrows, show)
			srows = [[rng.choice(ret_ids or hon_ids), rdate(rng).isoformat(),
				  rng.choice(COMMUNITIES), rng.choice(SERVICE_KINDS)]
				 for _ in range(per["services"][t])]
			self.import_csv(node, "service", ["retiree", "date", "community", "kind"], srows, show)
			self.by_town[t] = {"people": people, "aid": arows + [first_aid]}
			if not show:
				self.say("  %-11s %-6s %3d retirees (%d honorary), %3d visits, %3d deliveries, "
					 "%3d aid payments, %3d ceremonies, %3d activities, %3d lectures, %5d services" %
					 (t, names[t], len(rrows), len(hon_ids), len(vrows) + 1, len(drows),
					  len(arows) + 1, len(crows), len(acts[t]), len(lrows), len(srows)))
		assert not pay_amounts and not att and not six_att and not levels

		self.collisions(show_town, names)

		self.step("8. The offices come back online and sync with the hub, in a random order")
		order = [n for n, _, _, _ in node_list]
		rng.shuffle(order)
		for node in order:
			self.say("  %-18s %s" % (node, self.sync(node, False)))
		self.say("(each: silvernode --dir NODE sync %s --server-key $HUB_KEY)" %
			 (self.endpoint or "(by bundles)"))
		self.hub_stop()

		self.step("9. The hub now holds the whole county")
		self.sn("hub", ["digest"], True, True)
		conf = json.loads(self.sn("hub", ["conflicts", "--json"]))
		self.say("Open conflicts at the hub: %d" % len(conf))
		self.manifest["open_conflicts"] = len(conf)
		with open(os.path.join(self.out, "county.json"), "w", encoding="utf-8") as f:
			json.dump(self.manifest, f, ensure_ascii=False, indent=2, sort_keys=True)
			f.write("\n")

	def collisions(self, show_town, names):
		"""Laptops take their office's records on a stick and edit some differently."""
		self.step("7. Two offices have a second laptop for home visits: it takes the office's "
			  "records on a USB stick, and both edit while apart")
		col = []
		rng = self.rng
		for t in LAPTOPS:
			if t not in self.by_town:
				continue
			lap = t + "-laptop"
			lkey = self.manifest["nodes"][lap]["key"]
			stick = "sticks/%s-to-laptop.bundle" % t
			os.makedirs(os.path.join(self.out, "sticks"), exist_ok=True)
			self.sn(t, ["export-bundle", stick, "--for", lkey], True, True)
			self.sn(lap, ["import-bundle", stick], True, True)
			people = [pr for pr in self.by_town[t]["people"] if pr[1][1] == "retired"]
			aided = {a[0] for a in self.by_town[t]["aid"]}
			# the laptop's own home visits
			for p, r in rng.sample(people, 2):
				self.sn(lap, ["add", "visit", "retiree=" + p, "date=2025-08-1%d" % rng.randrange(0, 7),
					      "type=illness", "staff=赵敏", "notes=入户走访"], False)
			if t == LAPTOPS[0]:
				p, r = people[0]
				self.say("Both correct %s's phone number, differently:" % r[0])
				self.sn(t, ["set", p, "phone=13903710001"], True, True)
				self.sn(lap, ["set", p, "phone=13503712288"], True, True)
				col.append({"kind": "same field", "id": p, "field": "phone",
					    "values": ["13903710001", "13503712288"], "township": t})
				# the same aid payment typed in again on the laptop
				a = self.by_town[t]["aid"][1]
				self.say("The laptop types in an aid payment the office had already recorded:")
				outp = self.sn(lap, ["add", "aid", "retiree=" + a[0], "date=" + a[1],
						     "amount=" + a[2], "reason=" + a[3], "approver=" + a[4],
						     "notes=入户时登记"], True, True)
				col.append({"kind": "aid entered twice", "id": outp.strip(),
					    "retiree": a[0], "date": a[1], "amount": a[2], "township": t})
			else:
				cand = [pr for pr in people if pr[0] not in aided]
				p, r = cand[0]
				self.say("The office updates %s's address; the laptop, told of a duplicate "
					 "registration, deletes the record:" % r[0])
				self.sn(t, ["set", p, "address=%s祥和小区5号楼2单元" % names[t]], True, True)
				self.sn(lap, ["delete", p], True, True)
				col.append({"kind": "edit vs delete", "id": p, "field": "_del", "township": t})
		self.manifest["collisions"] = col

	def unit(self, rng, t, names):
		return rng.choice([names[t] + "人民政府", names[t] + "中心学校", "新郑市人民医院",
				   "新郑市教育局", "新郑市农业农村局", "新郑市供销社", names[t] + "卫生院"])

	def person_name(self, rng, female=None):
		if not hasattr(self, "_names"):
			self._names = set()
		for _ in range(1000):
			n = rng.choice(SURNAMES) + rng.choice(GIVEN[::2]) + \
				(rng.choice(GIVEN[1::2]) if rng.random() < 0.85 else "")
			if n not in self._names:
				self._names.add(n)
				return n
		raise Failed("out of names")

	# ---- after the review ------------------------------------------------------

	def resync(self):
		with open(os.path.join(self.out, "county.json"), encoding="utf-8") as f:
			self.manifest = json.load(f)
		self.hub_start(show=False)
		try:
			for node in sorted(self.manifest["nodes"]):
				self.say("  %-18s %s" % (node, self.sync(node, False)))
		finally:
			self.hub_stop(show=False)
		bad = 0
		for node, n in sorted(self.manifest["nodes"].items()):
			mine = self.sn(node, ["digest", "--township", n["township"]])
			hub = self.sn("hub", ["digest", "--township", n["township"]])
			same = mine == hub
			bad += not same
			self.say("  %-18s township %-11s %s" % (node, n["township"],
				 "same digest as the hub" if same else "DIFFERS from the hub"))
		if bad:
			raise Failed("%d nodes differ from the hub" % bad)


def main():
	ap = argparse.ArgumentParser(description="Build a demo county by driving the real programs.")
	ap.add_argument("--out", required=True)
	ap.add_argument("--bin")
	ap.add_argument("--seed", type=int, default=2025)
	ap.add_argument("--scale", choices=("full", "small"), default="full")
	ap.add_argument("--transport", choices=("net", "bundle"), default="net")
	ap.add_argument("--show", default="longhu")
	ap.add_argument("--quiet", action="store_true")
	ap.add_argument("--resync", action="store_true")
	a = ap.parse_args()
	if not a.bin:
		a.bin = os.environ.get("SILVER_BIN") or os.path.join(
			os.path.dirname(os.path.abspath(__file__)), "..", "build", "bin")
	a.bin = os.path.abspath(a.bin)
	if not os.access(os.path.join(a.bin, "silvernode"), os.X_OK):
		print("gen_county.py: no silvernode in %s (--bin or SILVER_BIN)" % a.bin, file=sys.stderr)
		return 1
	c = County(a)
	try:
		if a.resync:
			c.resync()
		else:
			if os.path.exists(a.out):
				print("gen_county.py: %s exists; give a new directory" % a.out, file=sys.stderr)
				return 1
			c.build()
	except Failed as e:
		print("gen_county.py: %s" % e, file=sys.stderr)
		return 1
	finally:
		c.hub_stop(show=False)
	return 0


if __name__ == "__main__":
	sys.exit(main())
