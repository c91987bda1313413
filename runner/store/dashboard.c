/* dashboard.c - `concbench dashboard -o DIR`: one self-contained HTML page
 * (inline CSS, SVG drawn by inline JS from an inline JSON block; no server,
 * no network) of the results store: open regressions first, then per host
 * and cell the median over commits with its 95% band and the change points
 * labelled with their commits, the scaling curve of each workload at the
 * latest commit, and a cross-host table. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/util.h"
#include "history.h"

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<title>concbench dashboard</title>\n<style>\n"
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\n"
    "h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;margin-top:1.6em}\n"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 8px;"
    "text-align:left}th{background:#f4f4f4}td.num{text-align:right}\n"
    ".grid{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;padding:6px;"
    "border-radius:4px}.card h4{margin:0 0 4px;font-size:12px;font-weight:600}\n"
    ".reg{color:#b00}.imp{color:#070}.muted{color:#888}svg text{font-size:10px}\n"
    "</style></head><body>\n"
    "<h1>concbench dashboard</h1>\n<p class=\"muted\" id=\"meta\"></p>\n"
    "<h2>Open regressions</h2><div id=\"open\"></div>\n"
    "<div id=\"hosts\"></div>\n<h2>Across hosts (latest median)</h2><div id=\"cross\"></div>\n"
    "<script type=\"application/json\" id=\"data\">\n";

/* The page's script: builds every chart from the JSON block. */
static const char page_script[] =
    "</script>\n<script>\n"
    "'use strict';\n"
    "window.addEventListener('error', e => { const p = document.createElement('pre');"
    " p.className = 'js-error'; p.textContent = String(e.message); document.body.prepend(p); });\n"
    "const D = JSON.parse(document.getElementById('data').textContent);\n"
    "D.cells.forEach(c => { const a = D.runs[c.ri[0]], z = D.runs[c.ri[c.ri.length - 1]];"
    " c.first = a[0]; c.last = z[0]; c.tlast = z[1]; });\n"
    "const NS = 'http://www.w3.org/2000/svg';\n"
    "function el(tag, attrs, parent, text) { const e = tag.startsWith('svg:') ?"
    " document.createElementNS(NS, tag.slice(4)) : document.createElement(tag);"
    " for (const k in attrs || {}) e.setAttribute(k, attrs[k]);"
    " if (text !== undefined) e.textContent = text; if (parent) parent.appendChild(e); return e; "
    "}\n"
    "function fmt(s) { return s >= 1 ? s.toFixed(3) + ' s' : s >= 1e-3 ? (s * 1e3).toFixed(3) +"
    " ' ms' : (s * 1e6).toFixed(2) + ' \\u00b5s'; }\n"
    "function pct(x) { return x === null ? '?' : (x >= 0 ? '+' : '') + (100 * x).toFixed(1) + '%'; "
    "}\n"
    "function cellName(c) { return c.workload + ' ' + c.mode + ' \\u00d7' + c.workers; }\n"
    "function chart(c, parent) {\n"
    " const W = 380, H = 150, L = 72, R = 8, T = 8, B = 20, n = c.median.length;\n"
    " const svg = el('svg:svg', {width: W, height: H, class: 'series', 'data-host': c.host,"
    " 'data-cell': cellName(c)}, parent);\n"
    " const lo = c.lo.map((v, i) => v === null ? c.median[i] : v),"
    " hi = c.hi.map((v, i) => v === null ? c.median[i] : v);\n"
    " let y0 = Math.min(...lo), y1 = Math.max(...hi); if (y1 <= y0) { y1 = y0 * 1.01 + 1e-12;"
    " y0 = y0 * 0.99; }\n"
    " const X = i => L + (n > 1 ? i * (W - L - R) / (n - 1) : (W - L - R) / 2),"
    " Y = v => T + (H - T - B) * (1 - (v - y0) / (y1 - y0));\n"
    " el('svg:text', {x: 2, y: T + 8}, svg, fmt(y1)); el('svg:text', {x: 2, y: H - B}, svg,"
    " fmt(y0));\n"
    " el('svg:text', {x: L, y: H - 4}, svg, c.first); el('svg:text', {x: W - R, y: H - 4,"
    " 'text-anchor': 'end'}, svg, c.last);\n"
    " let band = ''; for (let i = 0; i < n; i++) band += X(i).toFixed(1) + ',' +"
    " Y(hi[i]).toFixed(1) + ' '; for (let i = n - 1; i >= 0; i--) band += X(i).toFixed(1) +"
    " ',' + Y(lo[i]).toFixed(1) + ' ';\n"
    " el('svg:polygon', {points: band, fill: '#9ecae1', 'fill-opacity': 0.5, class: 'band'}, "
    "svg);\n"
    " let d = ''; c.median.forEach((v, i) => d += (i ? 'L' : 'M') + X(i).toFixed(1) + ' ' +"
    " Y(v).toFixed(1)); el('svg:path', {d: d, fill: 'none', stroke: '#08519c', 'stroke-width':"
    " 1.5, class: 'median'}, svg);\n"
    " if (n < 60) c.median.forEach((v, i) => el('svg:circle', {cx: X(i), cy: Y(v), r: 2, fill:"
    " '#08519c'}, svg));\n"
    " c.cps.forEach(p => { const x = (X(p.at - 1) + X(p.at)) / 2;"
    " el('svg:line', {x1: x, x2: x, y1: T, y2: H - B, stroke: p.regression ? '#c00' : '#080',"
    " 'stroke-dasharray': '3,2', class: 'changepoint', 'data-id': p.id}, svg);"
    " el('svg:text', {x: x + 2, y: T + 18, fill: p.regression ? '#c00' : '#080'}, svg,"
    " p.commit_before + '..' + p.commit_after + ' ' + pct(p.change)); });\n"
    " return svg; }\n"
    "function scaling(host, wl, cells, parent) {\n"
    " const W = 380, H = 150, L = 72, R = 60, T = 8, B = 20, card = el('div', {class: 'card'},"
    " parent);\n"
    " const last = Math.max(...cells.map(c => c.tlast));\n"
    " const pts = cells.filter(c => c.tlast === last);\n"
    " const commit = pts.length ? pts[0].last : '';\n"
    " el('h4', {}, card, wl + ' scaling at ' + commit);\n"
    " const svg = el('svg:svg', {width: W, height: H, class: 'scaling', 'data-host': host,"
    " 'data-workload': wl}, card);\n"
    " const ws = pts.map(c => c.workers), ms = pts.map(c => c.median[c.median.length - 1]);\n"
    " const x1 = Math.max(2, ...ws), y1 = Math.max(...ms) * 1.05, X = w => L + (W - L - R) *"
    " Math.log2(w) / Math.log2(x1), Y = v => T + (H - T - B) * (1 - v / y1);\n"
    " el('svg:text', {x: 2, y: T + 8}, svg, fmt(y1)); el('svg:text', {x: L, y: H - 4}, svg, '1');"
    " el('svg:text', {x: W - R, y: H - 4, 'text-anchor': 'end'}, svg, x1 + ' workers');\n"
    " const colours = ['#08519c', '#e6550d', '#31a354', '#756bb1', '#636363', '#de2d26'];\n"
    " [...new Set(pts.map(c => c.mode))].forEach((m, k) => { const s = pts.filter(c => c.mode ==="
    " m).sort((a, b) => a.workers - b.workers); let d = '';\n"
    "  s.forEach((c, i) => d += (i ? 'L' : 'M') + X(c.workers) + ' ' + Y(c.median[c.median.length"
    " - 1]));\n"
    "  el('svg:path', {d: d, fill: 'none', stroke: colours[k % 6], 'stroke-width': 1.5}, svg);\n"
    "  s.forEach(c => el('svg:circle', {cx: X(c.workers), cy: Y(c.median[c.median.length - 1]),"
    " r: 2.5, fill: colours[k % 6]}, svg));\n"
    "  el('svg:text', {x: W - R + 4, y: T + 10 + 12 * k, fill: colours[k % 6]}, svg, m); }); }\n"
    "document.getElementById('meta').textContent = 'generated ' + D.generated + ' from ' + D.db +"
    " ' \\u2014 ' + D.cells.length + ' cells; change points: ' + D.method;\n"
    "const open = []; D.cells.forEach(c => c.cps.forEach(p => { if (p.regression && (p.state ==="
    " 'new' || p.state === 'acknowledged')) open.push([c, p]); }));\n"
    "if (!open.length) el('p', {}, document.getElementById('open'), 'none');\n"
    "else { const t = el('table', {id: 'open-table'}, document.getElementById('open'));"
    " const h = el('tr', {}, t); ['id', 'state', 'host', 'cell', 'commits', 'before', 'after',"
    " 'change [95% CI]', 'p'].forEach(x => el('th', {}, h, x));\n"
    " open.forEach(([c, p]) => { const r = el('tr', {class: 'open-regression'}, t);"
    " [p.id, p.state, c.host, cellName(c), p.commit_before + '..' + p.commit_after,"
    " fmt(p.before), fmt(p.after), pct(p.change) + ' [' + pct(p.lo) + ', ' + pct(p.hi) + ']',"
    " p.p.toPrecision(2)].forEach((x, i) => el('td', {class: i > 4 ? 'num reg' : ''}, r, x)); }); "
    "}\n"
    "const hosts = [...new Set(D.cells.map(c => c.host))];\n"
    "hosts.forEach(host => { const sec = el('section', {class: 'host', 'data-host': host},"
    " document.getElementById('hosts')); el('h2', {}, sec, 'Host ' + host);\n"
    " const mine = D.cells.filter(c => c.host === host);\n"
    " const wls = [...new Set(mine.map(c => c.workload))];\n"
    " wls.forEach(wl => { el('h3', {}, sec, wl); const g = el('div', {class: 'grid'}, sec);\n"
    "  const cs = mine.filter(c => c.workload === wl); scaling(host, wl, cs, g);\n"
    "  cs.forEach(c => { const card = el('div', {class: 'card'}, g); el('h4', {}, card,"
    " cellName(c) + (c.params ? '  ' + c.params : '') + ' \\u2014 ' + c.median.length + ' runs' +"
    " (c.too_short ? ' (too short to decide)' : '')); chart(c, card); }); }); });\n"
    "const keys = [...new Set(D.cells.map(cellName))].sort();\n"
    "const ct = el('table', {id: 'cross-table'}, document.getElementById('cross'));\n"
    "const hr = el('tr', {}, ct); el('th', {}, hr, 'cell'); hosts.forEach(h => el('th', {}, hr,"
    " h));\n"
    "keys.forEach(k => { const r = el('tr', {}, ct); el('td', {}, r, k); hosts.forEach(h => {"
    " const c = D.cells.find(x => x.host === h && cellName(x) === k);"
    " el('td', {class: 'num'}, r, c ? fmt(c.median[c.median.length - 1]) : '-'); }); });\n"
    "document.body.setAttribute('data-rendered', String(document.querySelectorAll("
    "'svg.series').length));\n"
    "document.body.setAttribute('data-render-ms', performance.now().toFixed(0));\n"
    "</script>\n</body></html>\n";

/* 6 digits, not json_num's 9: the page carries every point of every series */
static void page_num(FILE *f, double x)
{
	if (isfinite(x))
		fprintf(f, "%.6g", x);
	else
		fputs("null", f);
}

static void write_data(FILE *f, const struct history *h, const char *where)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "{\"generated\": \"%s\", \"db\": ", stamp);
	json_str(f, where);
	/* the runs once: [commit, commit time]; a cell's points name theirs by index (ri) */
	fprintf(f, ", \"method\": \"E-divisive means + Welch t-test\", \"runs\": [");
	for (size_t k = 0; k < h->nruns; k++) {
		char s[16];

		snprintf(s, sizeof(s), "%.8s", h->runs[k].commit);
		fputs(k ? ",[" : "[", f);
		json_str(f, s);
		fprintf(f, ",%lld]", h->runs[k].time);
	}
	fprintf(f, "],\n\"cells\": [");
	for (size_t i = 0; i < h->n; i++) {
		const struct hist_cell *c = &h->cells[i];

		fprintf(f, "%s\n{\"host\": ", i ? "," : "");
		json_str(f, c->host);
		fprintf(f, ", \"workload\": ");
		json_str(f, c->workload);
		fprintf(f, ", \"mode\": ");
		json_str(f, c->mode);
		fprintf(f, ", \"workers\": %ld, \"params\": ", c->workers);
		json_str(f, strcmp(c->params, "pin=none") ? c->params : ""); /* the default */
		fprintf(f, ", \"too_short\": %s, \"ri\": [", c->too_short ? "true" : "false");
		for (size_t k = 0; k < c->n; k++)
			fprintf(f, "%s%zu", k ? "," : "", c->ri[k]);
		const double *arr[3] = {c->v, c->lo, c->hi};
		const char *names[3] = {"median", "lo", "hi"};

		for (int a = 0; a < 3; a++) {
			fprintf(f, "], \"%s\": [", names[a]);
			for (size_t k = 0; k < c->n; k++) {
				fputs(k ? "," : "", f);
				page_num(f, arr[a][k]);
			}
		}
		fputs("], \"cps\": [", f);
		for (int j = 0; j < c->ncp; j++) {
			const struct hist_cp *p = &c->cp[j];
			char cb[16], ca[16];

			snprintf(cb, sizeof(cb), "%.8s", c->commit[p->at - 1]);
			snprintf(ca, sizeof(ca), "%.8s", c->commit[p->at]);
			fprintf(f,
			        "%s{\"id\": \"%s\", \"state\": \"%s\", \"at\": %zu, "
			        "\"commit_before\": ",
			        j ? "," : "", p->id, p->state, p->at);
			json_str(f, cb);
			fputs(", \"commit_after\": ", f);
			json_str(f, ca);
			fputs(", \"before\": ", f);
			page_num(f, p->before);
			fputs(", \"after\": ", f);
			page_num(f, p->after);
			fputs(", \"change\": ", f);
			page_num(f, p->rel);
			fputs(", \"lo\": ", f);
			page_num(f, p->lo);
			fputs(", \"hi\": ", f);
			page_num(f, p->hi);
			fputs(", \"p\": ", f);
			page_num(f, p->p);
			fprintf(f, ", \"regression\": %s}", p->regression ? "true" : "false");
		}
		fputs("]}", f);
	}
	fputs("\n]}\n", f);
}

static void dashboard_usage(void)
{
	printf("usage: concbench dashboard -o DIR [--db=URL] [--workload=GLOB] [--host=H]\n"
	       "\n"
	       "Write DIR/index.html: a self-contained page (no server, no network) of the\n"
	       "results store: open regressions, per host and cell the median over commits\n"
	       "with its 95%% band and labelled change points (as `concbench history`), the\n"
	       "scaling curve of each workload at the latest commit, and a cross-host table.\n");
}

int cmd_dashboard(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'd'},       {"output", required_argument, NULL, 'o'},
	    {"workload", required_argument, NULL, 'w'}, {"host", required_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	struct cp_opts o = {CP_DEFAULT_ALPHA, CP_DEFAULT_MIN_CHANGE, CP_DEFAULT_MIN_SEG, false};
	struct hist_filter flt = {0};
	struct history h = {0};
	struct db *db = NULL;
	const char *url = NULL, *dir = NULL;
	char err[1024], path[4096], tmp[4200], where[512];
	FILE *f;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:w:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			url = optarg;
			break;
		case 'o':
			dir = optarg;
			break;
		case 'w':
			flt.workload = optarg;
			break;
		case 'H':
			flt.host = optarg;
			break;
		case 'h':
			dashboard_usage();
			return 0;
		default:
			cb_errorf("dashboard", "'%s': unknown option or missing value",
			          argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (!dir || !*dir || optind < argc) {
		cb_errorf("dashboard", "%s",
		          optind < argc ? "unexpected argument" : "-o DIR is required");
		return EXIT_USAGE;
	}
	if (mkdir(dir, 0777) && errno != EEXIST) {
		cb_errorf("dashboard", "%s: %s", dir, strerror(errno));
		return EXIT_USAGE;
	}
	url = db_default_url(url);
	rc = db_open(url, false, &db, err, sizeof(err));
	if (!rc)
		rc = history_load(db, &flt, &h, err, sizeof(err));
	if (!rc && (rc = history_detect(&h, &o)) != 0)
		snprintf(err, sizeof(err), "dashboard: out of memory");
	if (!rc)
		rc = history_triage(db, &h, o.min_change, err, sizeof(err));
	db_close(db);
	if (rc) {
		history_free(&h);
		cb_errorf("dashboard", "%s", err);
		return rc == DB_EINPUT ? EXIT_USAGE : EXIT_CHECK;
	}
	snprintf(path, sizeof(path), "%s/index.html", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		history_free(&h);
		cb_errorf("dashboard", "%s: %s", tmp, strerror(errno));
		return EXIT_USAGE;
	}
	fputs(page_head, f);
	write_data(f, &h, db_redact(url, where, sizeof(where)));
	fputs(page_script, f);
	rc = ferror(f) ? -EIO : 0;
	if (fclose(f))
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		history_free(&h);
		cb_errorf("dashboard", "%s: %s", path, strerror(-rc));
		return EXIT_CHECK;
	}
	printf("%s: %zu cells\n", path, h.n);
	history_free(&h);
	return 0;
}
