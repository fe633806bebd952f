/* html — the diagnosis as one self-contained HTML page; see html.h. */
#include "diagnose/html.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/diagnosis.h"
#include "diagnose/stackcontrast.h"
#include "lib/fmt.h"
#include "snapshot/timeline.h"

static const char html_css[] =
"*{box-sizing:border-box}"
"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
"color:#1f2430;background:#f4f5f7}"
"header{background:#1f2430;color:#fff;padding:18px 28px}"
"header h1{margin:0;font-size:20px;font-weight:600}"
"header .sub{color:#b8bfcc;margin-top:4px;font-size:13px}"
"main{max-width:1120px;margin:0 auto;padding:18px 20px 40px}"
".card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:16px 20px;"
"margin-bottom:18px}"
".card h2{font-size:15px;margin:0 0 10px;font-weight:600}"
".card p.note{color:#5b6270;margin:0 0 10px;font-size:13px}"
".kpis{display:flex;flex-wrap:wrap;gap:12px}"
".kpi{flex:1 1 180px;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);"
"padding:12px 16px;border-left:4px solid #2e86ab}"
".kpi.bad{border-left-color:#d1495b}.kpi.warn{border-left-color:#edae49}"
".kpi .v{font-size:18px;font-weight:600;white-space:nowrap}.kpi .l{color:#5b6270;font-size:12px}"
"svg.chart{width:100%;height:auto;display:block}"
"svg text{font:11px system-ui,'DejaVu Sans',sans-serif;fill:#5b6270}"
".grid line{stroke:#e6e8ec}.axis{stroke:#9aa1ad}"
".leakwin{fill:#d1495b;fill-opacity:.09}"
".legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin-top:8px;font-size:12px}"
".legend span.sw{display:inline-block;width:12px;height:3px;margin-right:6px;vertical-align:middle}"
".flame rect{stroke:#fff;stroke-width:.5}.flame rect:hover{stroke:#1f2430;stroke-width:1}"
".flame text{fill:#1f2430;pointer-events:none}"
"table{border-collapse:collapse;width:100%;font-size:13px}"
"th{text-align:left;color:#5b6270;font-weight:600;border-bottom:2px solid #e6e8ec;padding:6px 8px;"
"white-space:nowrap}"
"td{border-bottom:1px solid #eef0f3;padding:6px 8px;vertical-align:top}"
"td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
"td.fn{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px;min-width:260px;"
"overflow-wrap:anywhere}"
"td.fn .site{color:#5b6270}"
".badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600;"
"color:#fff;white-space:nowrap}"
".b-leak{background:#d1495b}.b-bounded{background:#2e86ab}.b-warm-up{background:#c98a1b}"
".b-transient{background:#66a182}.b-ok{background:#66a182}.b-retention{background:#8d6a9f}"
".bar{display:inline-block;height:8px;border-radius:4px;background:#d1495b;vertical-align:middle}"
".bar.ref{background:#9aa1ad}"
".reason{color:#5b6270;font-size:12px}"
"footer{color:#8a909c;font-size:12px;text-align:center;margin-top:10px}"
"#js-error{display:none;background:#fde8ea;color:#8a1c2b;padding:10px 16px;border-radius:8px;"
"margin-bottom:18px}";

static const char html_js[] =
"(function(){'use strict';\n"
"var NS='http://www.w3.org/2000/svg';\n"
"window.addEventListener('error',function(e){document.documentElement.setAttribute("
"'data-js-error',String(e.message));var b=document.getElementById('js-error');"
"if(b){b.style.display='block';b.textContent='The charts could not be drawn: '+e.message;}});\n"
"function el(tag,attrs,parent){var e=document.createElementNS(NS,tag);"
"for(var k in attrs)if(Object.prototype.hasOwnProperty.call(attrs,k))e.setAttribute(k,attrs[k]);"
"if(parent)parent.appendChild(e);return e;}\n"
"function fmtB(b){var u=['B','KiB','MiB','GiB','TiB'],i=0,a=Math.abs(b);"
"while(a>=1024&&i<u.length-1){a/=1024;i++;}"
"return(b<0?'-':'')+(i?String(+a.toPrecision(3)):a.toFixed(0))+' '+u[i];}\n"
"function fmtT(s){return s<120?s.toFixed(s<10?1:0)+' s':(s/60).toFixed(1)+' min';}\n"
"function tip(e,text){var t=el('title',{},e);t.textContent=text;return t;}\n"
"function ticks(max,n){if(!(max>0))return[0];var raw=max/n,p=Math.pow(10,Math.floor(Math.log10(raw))),"
"m=raw/p,step=(m<=1?1:m<=2?2:m<=5?5:10)*p,out=[];for(var v=0;v<=max*1.0001;v+=step)out.push(v);"
"return out;}\n"
"function btick(max,n){if(!(max>0))return[0];var u=1;while(max/u>=1024)u*=1024;"
"return ticks(max/u,n).map(function(v){return v*u;});}\n"
"var data=JSON.parse(document.getElementById('seep-data').textContent);\n"
"var LEAKS=['#d1495b','#8f2d56','#e76f51','#b5172f'];\n"
"var OTHERS=['#2e86ab','#c98a1b','#66a182','#8d6a9f','#00798c','#3d405b','#9aa1ad','#5b8e7d'];\n"
"function chart(id,series,opt){var host=document.getElementById(id);if(!host)return;"
"var W=900,H=opt.h||260,m={l:72,r:18,t:14,b:30},t=data.t,n=t.length;"
"var svg=el('svg',{viewBox:'0 0 '+W+' '+H,'class':'chart',role:'img'},host);"
"var ymax=1;series.forEach(function(s){s.y.forEach(function(v){if(v>ymax)ymax=v;});});ymax*=1.08;"
"var t0=t[0],span=(t[n-1]-t0)||1;"
"function X(v){return m.l+(v-t0)/span*(W-m.l-m.r);}"
"function Y(v){return H-m.b-v/ymax*(H-m.t-m.b);}"
"var g=el('g',{'class':'grid'},svg);"
"btick(ymax,5).forEach(function(v){el('line',{x1:m.l,x2:W-m.r,y1:Y(v),y2:Y(v)},g);"
"var l=el('text',{x:m.l-8,y:Y(v)+4,'text-anchor':'end'},svg);l.textContent=fmtB(v);});"
"ticks(span,6).forEach(function(v){var l=el('text',{x:X(t0+v),y:H-m.b+16,'text-anchor':'middle'},svg);"
"l.textContent=fmtT(v);});"
"el('line',{x1:m.l,x2:W-m.r,y1:H-m.b,y2:H-m.b,'class':'axis'},svg);"
"if(opt.window){var wx=X(opt.window[0]),ww=Math.max(2,X(opt.window[1])-wx);"
"var r=el('rect',{x:wx,y:m.t,width:ww,height:H-m.t-m.b,'class':'leakwin'},svg);"
"tip(r,'leak window: '+fmtT(opt.window[0]-t0)+' to '+fmtT(opt.window[1]-t0));"
"var wl=el('text',{x:wx+4,y:m.t+12,fill:'#d1495b'},svg);wl.textContent='leak window';}"
"var legend=document.createElement('div');legend.className='legend';"
"series.forEach(function(s){var d='';s.y.forEach(function(v,i){d+=(i?'L':'M')+X(t[i]).toFixed(1)+' '+"
"Y(v).toFixed(1);});"
"if(s.area){el('path',{d:d+'L'+X(t[n-1]).toFixed(1)+' '+Y(0)+'L'+X(t[0]).toFixed(1)+' '+Y(0)+'Z',"
"fill:s.color,'fill-opacity':.12,stroke:'none'},svg);}"
"var p=el('path',{d:d,fill:'none',stroke:s.color,'stroke-width':s.w||2,'stroke-linejoin':'round',"
"'class':'series'},svg);"
"tip(p,s.name+': '+fmtB(s.y[0])+' to '+fmtB(s.y[n-1]));"
"if(s.points)s.y.forEach(function(v,i){var c=el('circle',{cx:X(t[i]),cy:Y(v),r:2.5,fill:s.color},svg);"
"tip(c,fmtT(t[i]-t0)+': '+fmtB(v));});"
"var it=document.createElement('span'),sw=document.createElement('span');sw.className='sw';"
"sw.style.background=s.color;it.appendChild(sw);it.appendChild(document.createTextNode(s.name));"
"legend.appendChild(it);});"
"host.appendChild(legend);}\n"
"function hue(name){var h=0;for(var i=0;i<name.length;i++)h=(h*31+name.charCodeAt(i))>>>0;return h;}\n"
"function flame(id,stacks){var host=document.getElementById(id);if(!host)return;"
"var root={n:'all',v:0,c:new Map()},depth=0;"
"stacks.forEach(function(s){var node=root;root.v+=s.b;s.f.forEach(function(f,i){var c=node.c.get(f);"
"if(!c){c={n:f,v:0,c:new Map()};node.c.set(f,c);}c.v+=s.b;node=c;if(i+1>depth)depth=i+1;});});"
"if(!root.v){var p=document.createElement('p');p.className='note';"
"p.textContent='No stack grew between the first and the last snapshot.';host.appendChild(p);return;}"
"var W=900,R=18,H=(depth+1)*R+2;"
"var svg=el('svg',{viewBox:'0 0 '+W+' '+H,'class':'chart flame',role:'img'},host);"
"function draw(node,x,w,d){var y=H-(d+1)*R-1,h=hue(node.n);"
"var fill=d?'hsl('+(h%50)+','+(60+h%25)+'%,'+(58+h%12)+'%)':'#c9ced6';"
"var r=el('rect',{x:x.toFixed(2),y:y,width:Math.max(.5,w).toFixed(2),height:R-1,fill:fill,rx:2},svg);"
"tip(r,node.n+'\\n'+fmtB(node.v)+' ('+(100*node.v/root.v).toFixed(1)+' % of the growth)');"
"if(w>34){var tx=el('text',{x:x+4,y:y+R-6},svg),chars=Math.floor((w-8)/6.2);"
"tx.textContent=node.n.length>chars?node.n.slice(0,Math.max(1,chars-1))+'\\u2026':node.n;}"
"var kids=Array.from(node.c.values()).sort(function(a,b){return a.n<b.n?-1:a.n>b.n?1:0;}),cx=x;"
"kids.forEach(function(k){var kw=w*k.v/node.v;draw(k,cx,kw,d+1);cx+=kw;});}"
"draw(root,0,W,0);}\n"
"var nl=0,no=0,lines=data.lines.map(function(s){var leak=s.verdict==='leak';"
"return{name:s.name+' ('+s.verdict+')',y:s.bytes,"
"color:leak?LEAKS[nl++%LEAKS.length]:OTHERS[no++%OTHERS.length],w:leak?2.5:1.5};});\n"
"var heap=[{name:'live heap (sampled)',y:data.heap,color:'#2e86ab',area:true,points:true}];\n"
"if(data.leaks)heap.push({name:'the leaking stacks together',y:data.leaks,color:'#d1495b',w:2});\n"
"chart('heap-chart',heap,{window:data.window});\n"
"chart('lines-chart',lines,{h:240});\n"
"flame('flame',data.flame);\n"
"document.body.setAttribute('data-rendered','1');\n"
"})();\n";

void html__escape(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			/* control characters would not show; keep tabs and newlines */
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
				fputc('?', out);
			else
				fputc(*s, out);
		}
	}
}

/* JSON text for inside <script>: '<', '>' and '&' (only ever inside JSON
 * strings) become \u escapes. */
static int _json_script(FILE *out, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);

	if (!s)
		return -ENOMEM;
	for (const char *p = s; *p; p++) {
		if (*p == '<')
			fputs("\\u003c", out);
		else if (*p == '>')
			fputs("\\u003e", out);
		else if (*p == '&')
			fputs("\\u0026", out);
		else
			fputc(*p, out);
	}
	free(s);
	return 0;
}

static json_t *_series(const double *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)llround(v[i])));
	return a;
}

/* A frame's name for the charts: its function, else module+offset. */
static char *_frame_name(const struct stack_frame *f)
{
	const char *base = f->module ? strrchr(f->module, '/') : NULL;
	char *s = NULL;

	if (f->function)
		return strdup(f->function);
	if (asprintf(&s, "%s+0x%llx", base ? base + 1 : f->module ? f->module : "?",
		     (unsigned long long)f->offset) < 0)
		return NULL;
	return s;
}

static const char *_site_name(const struct report_stack *st)
{
	const struct stack_frame *site = diagnosis__site(st);

	return site && site->function ? site->function : "?";
}

/* The leaking stacks' sum over the series and the window in which it grew:
 * from the first interval it grew in to the last. False without leaks. */
static bool _leak_window(const struct diagnosis *d, double *sum, double win[2])
{
	size_t n = d->n, first = SIZE_MAX, last = 0, leaks = 0;

	for (size_t i = 0; i < n; i++)
		sum[i] = 0;
	for (size_t k = 0; k < d->nj; k++) {
		if (d->j[k].v.kind != VERDICT_LEAK)
			continue;
		leaks++;
		for (size_t i = 0; i < n; i++)
			sum[i] += d->j[k].row->bytes[i];
	}
	for (size_t i = 1; i < n; i++)
		if (sum[i] > sum[i - 1]) {
			if (first == SIZE_MAX)
				first = i - 1;
			last = i;
		}
	if (!leaks || first == SIZE_MAX)
		return false;
	win[0] = d->t[first];
	win[1] = d->t[last];
	return true;
}

static json_t *_data(const struct diagnosis *d)
{
	json_t *root = json_object(), *lines = json_array(), *flame = json_array();
	double *sum = calloc(d->n ? d->n : 1, sizeof(*sum)), win[2];
	size_t nl = 0;

	if (!root || !lines || !flame || !sum) {
		json_decref(root);
		json_decref(lines);
		json_decref(flame);
		free(sum);
		return NULL;
	}
	json_object_set_new(root, "t", json_array());
	for (size_t i = 0; i < d->n; i++)
		json_array_append_new(json_object_get(root, "t"), json_real(d->t[i]));
	json_object_set_new(root, "heap", _series(d->heap, d->n));
	if (_leak_window(d, sum, win)) {
		json_object_set_new(root, "leaks", _series(sum, d->n));
		json_object_set_new(root, "window", json_pack("[f, f]", win[0], win[1]));
	} else {
		json_object_set_new(root, "leaks", json_null());
		json_object_set_new(root, "window", json_null());
	}
	for (size_t k = 0; k < d->nj && nl < HTML_LINES; k++, nl++)
		json_array_append_new(lines, json_pack("{s:s, s:s, s:o}",
			"name", _site_name(d->j[k].row->stack),
			"verdict", verdict__name(d->j[k].v.kind),
			"bytes", _series(d->j[k].row->bytes, d->n)));
	for (size_t k = 0; k < d->nj; k++) {
		const struct stack_series *r = d->j[k].row;
		double growth = r->bytes[d->n - 1] - r->bytes[0];
		json_t *f;

		if (!(growth >= 1) || !(f = json_array()))
			continue;
		for (size_t i = r->stack->nframes; i-- > 0;) {
			char *name = _frame_name(&r->stack->frames[i]);

			json_array_append_new(f, json_string(name ? name : "?"));
			free(name);
		}
		json_array_append_new(flame, json_pack("{s:o, s:I}", "f", f, "b",
						       (json_int_t)llround(growth)));
	}
	json_object_set_new(root, "lines", lines);
	json_object_set_new(root, "flame", flame);
	free(sum);
	return root;
}

static void _bytes(FILE *out, double b, bool is_signed)
{
	char buf[32];

	fmt__bytes((int64_t)llround(b), is_signed, buf, sizeof(buf));
	html__escape(out, buf);
}

static void _kpi(FILE *out, const char *cls, const char *label, const char *value)
{
	fprintf(out, "<div class=\"kpi %s\"><div class=\"v\">", cls);
	html__escape(out, value);
	fputs("</div><div class=\"l\">", out);
	html__escape(out, label);
	fputs("</div></div>\n", out);
}

static void _head(FILE *out, const struct html_input *in)
{
	const struct diagnosis *d = in->d;
	const struct report *last = d->snaps[d->n - 1];
	char buf[128], a[32], b[32];
	size_t leaks = 0;

	for (size_t k = 0; k < d->nj; k++)
		leaks += d->j[k].v.kind == VERDICT_LEAK;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n<title>seep diagnose: ",
	      out);
	html__escape(out, last->comm);
	fputs("</title>\n<style>", out);
	fputs(html_css, out);
	fputs("</style></head>\n<body>\n<header><h1>seep diagnose: ", out);
	html__escape(out, last->comm);
	fprintf(out, " (pid %d)</h1><div class=\"sub\">", last->pid);
	html__escape(out, in->title ? in->title : "");
	fprintf(out, " &middot; %zu snapshots over %.1f s", d->n, d->t[d->n - 1] - d->t[0]);
	if (last->sample_bytes > 1)
		fprintf(out, " &middot; sampled, one in %llu bytes",
			(unsigned long long)last->sample_bytes);
	else if (last->sample_bytes == 1)
		fputs(" &middot; every allocation", out);
	fputs("</div></header>\n<main>\n<div id=\"js-error\"></div>\n<div class=\"kpis card\" "
	      "style=\"background:none;box-shadow:none;padding:0\">\n", out);
	fmt__bytes((int64_t)llround(d->heap[0]), false, a, sizeof(a));
	fmt__bytes((int64_t)llround(d->heap[d->n - 1]), false, b, sizeof(b));
	snprintf(buf, sizeof(buf), "%s \xe2\x86\x92 %s", a, b);
	_kpi(out, d->pv.heap.lo > 0 ? "warn" : "", "live heap, first to last snapshot", buf);
	snprintf(buf, sizeof(buf), "%zu of %zu", leaks, d->nj);
	_kpi(out, leaks ? "bad" : "", "stacks with a leak verdict", buf);
	fmt__bytes((int64_t)llround(d->leak_rate), true, a, sizeof(a));
	snprintf(buf, sizeof(buf), "%s/s", a);
	_kpi(out, leaks ? "bad" : "", "the leaks' rate together", buf);
	_kpi(out, d->pv.retention ? "warn" : leaks ? "bad" : "", "process",
	     d->pv.retention ? "allocator retention" : leaks ? "leaking" : "no leak found");
	fputs("</div>\n", out);
}

static void _process(FILE *out, const struct diagnosis *d)
{
	fputs("<section class=\"card\" id=\"process\"><h2>Process verdict</h2><p>", out);
	if (d->pv.retention)
		fputs("<span class=\"badge b-retention\">allocator retention or fragmentation</span> ", out);
	html__escape(out, d->pv.reason ? d->pv.reason : "");
	if (d->pv.heap.n) {
		fputs(". Live heap slope ", out);
		_bytes(out, d->pv.heap.slope, true);
		fputs("/s [", out);
		_bytes(out, d->pv.heap.lo, true);
		fputs("/s, ", out);
		_bytes(out, d->pv.heap.hi, true);
		fprintf(out, "/s], R&sup2; %.2f.", d->pv.heap.r2);
	}
	fputs("</p></section>\n", out);
}

static void _charts(FILE *out)
{
	fputs("<section class=\"card\"><h2>Memory over the series</h2><p class=\"note\">The sampled "
	      "live heap at each snapshot; the shaded band is the leak window, from the first "
	      "interval in which the leaking stacks grew to the last.</p>"
	      "<div id=\"heap-chart\"></div></section>\n"
	      "<section class=\"card\"><h2>Top stacks</h2><p class=\"note\">Live bytes of each of the "
	      "top stacks (by verdict: leaks first, fastest first).</p>"
	      "<div id=\"lines-chart\"></div></section>\n"
	      "<section class=\"card\"><h2>Flame graph of the growth</h2><p class=\"note\">Each "
	      "stack's growth between the first and the last snapshot, on its frames (outermost at "
	      "the bottom); widths are bytes. Hover a frame for its bytes.</p>"
	      "<div id=\"flame\"></div></section>\n", out);
}

static void _patterns(FILE *out, const struct stackcontrast *sc)
{
	size_t n = stackcontrast__len(sc);

	fputs("<section class=\"card\" id=\"patterns\"><h2>Contrast patterns</h2>", out);
	if (!n) {
		fputs("<p class=\"note\">No pattern sets growing stacks apart (nothing grew).</p>"
		      "</section>\n", out);
		return;
	}
	fputs("<p class=\"note\">What the ", out);
	html__escape(out, stackcontrast__target_name(sc));
	fputs(" (", out);
	_bytes(out, (double)stackcontrast__total(sc, CONTRAST_TARGET), false);
	fputs(") have in common that the ", out);
	html__escape(out, stackcontrast__ref_name(sc));
	fputs(" (", out);
	_bytes(out, (double)stackcontrast__total(sc, CONTRAST_BACKGROUND), false);
	fputs(") lack: CONAN over the stacks' function, family, call, file, module and frame "
	      "paths, consolidated along the frame hierarchy.</p>\n<table><thead><tr><th>pattern</th>"
	      "<th>of the ", out);
	html__escape(out, stackcontrast__target_name(sc));
	fputs("</th><th>of the ", out);
	html__escape(out, stackcontrast__ref_name(sc));
	fputs("</th><th>shared by its stacks</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct stackcontrast_pattern *p = stackcontrast__get(sc, i);

		fputs("<tr class=\"pattern\"><td class=\"fn\">{", out);
		for (size_t k = 0; k < p->nitems; k++) {
			fputs(k ? ", " : "", out);
			html__escape(out, p->items[k].attr);
			fputs("=", out);
			html__escape(out, p->items[k].value);
		}
		fprintf(out, "}</td><td class=\"num\"><span class=\"bar\" style=\"width:%.0fpx\"></span> "
			"%.0f %%</td><td class=\"num\"><span class=\"bar ref\" style=\"width:%.0fpx\">"
			"</span> %.0f %%</td><td class=\"fn\">", 60 * p->target_share,
			100 * p->target_share, 60 * p->ref_share, 100 * p->ref_share);
		for (size_t k = 0; k < p->nimplied; k++) {
			fputs(k ? "<br>" : "", out);
			html__escape(out, p->implied[k].attr);
			fputs(" ", out);
			html__escape(out, p->implied[k].value);
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table></section>\n", out);
}

static void _evidence(FILE *out, const struct html_input *in)
{
	const struct diagnosis *d = in->d;
	size_t top = in->top < d->nj ? in->top : d->nj;
	char label[1024];

	fputs("<section class=\"card\" id=\"evidence\"><h2>Evidence per stack</h2>", out);
	if (!d->verdicts) {
		fputs("<p class=\"note\">Too few snapshots for a verdict (at least 3).</p></section>\n",
		      out);
		return;
	}
	fputs("<p class=\"note\">Theil-Sen slope with its interval over the whole series and its "
	      "tail, least-squares R&sup2;, the one-sided Mann-Kendall p, the intervals it grew in, "
	      "the age slope of its oldest block (about 1: nothing old is freed) and its turnover "
	      "(tail allocations / live bytes).</p>\n<table><thead><tr><th>#</th><th>verdict</th>"
	      "<th>stack</th><th>live</th><th>slope [interval]</th><th>tail</th><th>R&sup2;</th>"
	      "<th>MK p</th><th>grew</th><th>age</th><th>turnover</th></tr></thead><tbody>\n", out);
	for (size_t k = 0; k < top; k++) {
		const struct judged *j = &d->j[k];
		const struct verdict *v = &j->v;
		const struct stack_frame *site = diagnosis__site(j->row->stack);
		const char *name = verdict__name(v->kind);

		diagnosis__label(j->row->stack, label, sizeof(label));
		fprintf(out, "<tr class=\"stack\"><td class=\"num\">%zu</td><td><span class=\"badge b-%s\">"
			"%s</span><div class=\"reason\">confidence %.2f</div></td><td class=\"fn\"><b>",
			k + 1, name, name, v->confidence);
		html__escape(out, site && site->function ? site->function : "?");
		fputs("</b>", out);
		if (site && site->file) {
			fputs(" <span class=\"site\">", out);
			html__escape(out, site->file);
			fprintf(out, ":%d</span>", site->line);
		}
		fputs("<div class=\"site\">", out);
		html__escape(out, label);
		fputs("</div><div class=\"reason\">", out);
		html__escape(out, v->reason ? v->reason : "");
		fputs("</div></td><td class=\"num\">", out);
		_bytes(out, v->last, false);
		fputs("</td><td class=\"num\">", out);
		_bytes(out, v->all.slope, true);
		fputs("/s<div class=\"reason\">[", out);
		_bytes(out, v->all.lo, true);
		fputs(", ", out);
		_bytes(out, v->all.hi, true);
		fputs("]</div></td><td class=\"num\">", out);
		_bytes(out, v->tail.slope, true);
		fprintf(out, "/s</td><td class=\"num\">%.2f</td><td class=\"num\">%.2g</td>"
			"<td class=\"num\">%zu/%zu</td><td class=\"num\">", v->all.r2, v->all.mk_p,
			v->grew, v->intervals);
		if (isfinite(v->age_slope))
			fprintf(out, "%.2f", v->age_slope);
		else
			fputs("&ndash;", out);
		fputs("</td><td class=\"num\">", out);
		if (isfinite(v->turnover))
			fprintf(out, "%.2f", v->turnover);
		else
			fputs("&ndash;", out);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table></section>\n", out);
}

int html__write(const struct html_input *in, FILE *out)
{
	json_t *data;
	int err;

	if (!in->d || !in->d->n)
		return -EINVAL;
	if (!(data = _data(in->d)))
		return -ENOMEM;
	_head(out, in);
	_process(out, in->d);
	_charts(out);
	_patterns(out, in->sc);
	_evidence(out, in);
	fputs("<footer>written by seep diagnose; self-contained: no network needed</footer>\n"
	      "</main>\n<script id=\"seep-data\" type=\"application/json\">", out);
	err = _json_script(out, data);
	json_decref(data);
	if (err)
		return err;
	fputs("</script>\n<script>", out);
	fputs(html_js, out);
	fputs("</script>\n</body></html>\n", out);
	return ferror(out) ? -EIO : 0;
}

int html__render_dir(const char *dir, const char *title, char **body, size_t *len,
		     char *msg, size_t mlen)
{
	struct timeline *tl = NULL;
	struct diagnosis d = { 0 };
	struct stackcontrast *sc = NULL;
	const struct report **snaps = NULL;
	double *t = NULL;
	FILE *f = NULL;
	size_t n;
	int err;

	*body = NULL;
	*len = 0;
	if ((err = timeline__load(dir, &tl))) {
		snprintf(msg, mlen, "cannot read series '%s': %s", dir, strerror(-err));
		return err;
	}
	n = timeline__snapshots(tl);
	snaps = calloc(n ? n : 1, sizeof(*snaps));
	t = calloc(n ? n : 1, sizeof(*t));
	if (!snaps || !t) {
		err = -ENOMEM;
		snprintf(msg, mlen, "cannot render report: %s", strerror(ENOMEM));
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		snaps[i] = timeline__snapshot(tl, i);
		t[i] = timeline__elapsed(tl, i);
	}
	if ((err = diagnosis__run(snaps, t, n, true, &d, msg, mlen)))
		goto cleanup;
	if ((err = stackcontrast__from_diagnosis(&d, NULL, STACKCONTRAST_TOP, &sc))) {
		snprintf(msg, mlen, "cannot find contrast patterns: %s", strerror(-err));
		goto cleanup;
	}
	if (!(f = open_memstream(body, len))) {
		err = -errno;
		snprintf(msg, mlen, "cannot render report: %s", strerror(-err));
		goto cleanup;
	}
	err = html__write(&(struct html_input){ .d = &d, .sc = sc, .title = title, .top = 20 }, f);
	if (fclose(f) && !err)
		err = -EIO;
	if (err) {
		free(*body);
		*body = NULL;
		*len = 0;
		snprintf(msg, mlen, "cannot render report: %s", strerror(-err));
	}
cleanup:
	stackcontrast__free(sc);
	diagnosis__release(&d);
	free(snaps);
	free(t);
	timeline__free(tl);
	return err;
}

int html__route(const char *path, uint64_t *id)
{
	static const char pre[] = "/api/collections/", post[] = "/report.html";
	const char *p = path, *end;
	uint64_t v = 0;

	if (strncmp(p, pre, sizeof(pre) - 1))
		return -ENOENT;
	p += sizeof(pre) - 1;
	for (end = p; *end >= '0' && *end <= '9' && end - p < 19; end++)
		v = v * 10 + (uint64_t)(*end - '0');
	if (end == p || strcmp(end, post))
		return -ENOENT;
	*id = v;
	return 0;
}
