// Browser side of stormwatch's series pages and reports: draws one series' time-aligned charts
// with uPlot (requests against the baseline band, error ratio, downstream completion, amplification,
// the anomaly score), shades alert intervals, marks deploys and the moment asked for, and lists
// alerts, deploys and the explanation. Plain ES2019, no modules and no build step: served as is and inlined in reports.
/* global uPlot */
(function () {
  'use strict';

  var COLORS = { req: '#c0392b', base: '#34495e', band: 'rgba(52,152,219,0.18)', envelope: 'rgba(192,57,43,0.35)', err: '#d35400', comp: '#27ae60', amp: '#8e44ad', score: '#1f618d' };
  var VERDICT = { pass: '#117a65', fail: '#c0392b', pending: '#7f8c8d', inconclusive: '#e67e22' };

  function iso(ms) {
    return new Date(ms).toISOString().replace('.000Z', 'Z');
  }
  function num(v, digits) {
    if (v == null || !isFinite(v)) return '–';
    var a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toPrecision(3) + 'M';
    if (a >= 1e3) return (v / 1e3).toPrecision(3) + 'K';
    return Number(v.toPrecision(digits || 3)).toString();
  }
  function pct(v) {
    return v == null || !isFinite(v) ? '–' : Number((v * 100).toPrecision(3)) + '%';
  }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
    (children || []).forEach(function (c) {
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }
  function nonNull(arr) {
    var n = 0;
    for (var i = 0; i < arr.length; i++) if (arr[i] != null) n++;
    return n;
  }

  // Alert intervals shaded, deploys as vertical lines coloured by verdict, the asked-for moment dashed.
  // `view.d` is the latest data: a live page's refreshes bring alerts and deploys the page had not seen.
  function marksPlugin(view, showLabels) {
    return {
      hooks: {
        draw: [
          function (u) {
            var d = view.d;
            var ctx = u.ctx, b = u.bbox, dpr = window.devicePixelRatio || 1;
            u.root.dataset.markedAlerts = String(d.alerts.length);
            u.root.dataset.markedDeploys = String(d.deploys.length);
            ctx.save();
            ctx.beginPath();
            ctx.rect(b.left, b.top, b.width, b.height);
            ctx.clip();
            d.alerts.forEach(function (a) {
              var x0 = u.valToPos(a.startsAtMs / 1000, 'x', true);
              var x1 = u.valToPos((a.endsAtMs != null ? a.endsAtMs : d.toMs) / 1000, 'x', true);
              ctx.fillStyle = a.severity === 'info' ? 'rgba(241,196,15,0.18)' : 'rgba(231,76,60,0.14)';
              ctx.fillRect(x0, b.top, Math.max(x1 - x0, 2 * dpr), b.height);
            });
            var lastLabelX = -1e9, row = 0;
            d.deploys.forEach(function (dep) {
              var x = u.valToPos(dep.startedAtMs / 1000, 'x', true);
              ctx.strokeStyle = VERDICT[dep.verdict] || '#7f8c8d';
              ctx.lineWidth = 2 * dpr;
              ctx.setLineDash([6 * dpr, 3 * dpr]);
              ctx.beginPath();
              ctx.moveTo(x, b.top);
              ctx.lineTo(x, b.top + b.height);
              ctx.stroke();
              if (showLabels) {
                ctx.setLineDash([]);
                ctx.fillStyle = ctx.strokeStyle;
                ctx.font = 11 * dpr + 'px sans-serif';
                // Labels of close deploys go on successive rows instead of over each other.
                row = x - lastLabelX < 90 * dpr ? row + 1 : 0;
                lastLabelX = x;
                ctx.fillText(dep.version + ' ' + dep.verdict, x + 4 * dpr, b.top + (12 + 13 * (row % 3)) * dpr);
              }
            });
            if (d.atMs != null) {
              var xa = u.valToPos(d.atMs / 1000, 'x', true);
              ctx.strokeStyle = '#2471a3';
              ctx.lineWidth = 2 * dpr;
              ctx.setLineDash([2 * dpr, 2 * dpr]);
              ctx.beginPath();
              ctx.moveTo(xa, b.top);
              ctx.lineTo(xa, b.top + b.height);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
      },
    };
  }

  function maxOf(arrays, from, to) {
    var m = -Infinity;
    arrays.forEach(function (a) {
      for (var i = from; i < to; i++) if (a[i] != null && a[i] > m) m = a[i];
    });
    return m;
  }

  // The requests axis is scaled to the requests and the baseline in view, the band drawn up to 3x
  // their top: a band wide with uncertainty (a young or shifting baseline) squashed the traffic
  // flat against the bottom of a 30x taller axis.
  function requestsRange(u, min, max) {
    var t = u.data[0], lo = 0, hi = t.length;
    var xmin = u.scales.x.min, xmax = u.scales.x.max;
    while (lo < t.length && t[lo] < xmin) lo++;
    while (hi > lo && t[hi - 1] > xmax) hi--;
    var top = maxOf([u.data[3], u.data[4], u.data[5]], lo, hi);
    if (!(top > 0)) return [Math.min(0, min), max > 0 ? max : 1];
    return [Math.min(0, min), Math.min(max, 3 * top) > top ? Math.min(max, 3 * top) * 1.04 : top * 1.08];
  }

  function chartSpecs(d) {
    return [
      {
        name: 'requests',
        title: 'Requests per second, against the baseline band',
        data: [d.t, d.bandLo, d.bandHi, d.base, d.req, d.reqMax],
        series: [
          { label: 'band low', stroke: 'rgba(52,152,219,0.6)', width: 1, value: function (u, v) { return num(v); } },
          { label: 'band high', stroke: 'rgba(52,152,219,0.6)', width: 1, value: function (u, v) { return num(v); } },
          { label: 'baseline', stroke: COLORS.base, width: 1, dash: [5, 4], value: function (u, v) { return num(v); } },
          { label: 'requests (min)', stroke: COLORS.req, width: 1.5, value: function (u, v) { return num(v); } },
          { label: 'requests (max)', stroke: COLORS.req, width: 1, value: function (u, v) { return num(v); } },
        ],
        bands: [{ series: [2, 1], fill: COLORS.band }, { series: [5, 4], fill: COLORS.envelope }],
        yfmt: num,
        yRange: requestsRange,
        values: [d.req, d.reqMax],
        empty: 'No request rate read in this range: no data.',
      },
      {
        name: 'errors',
        title: 'Error ratio',
        data: [d.t, d.errBase, d.err],
        series: [
          { label: 'baseline', stroke: COLORS.base, width: 1, dash: [5, 4], value: function (u, v) { return pct(v); } },
          { label: 'error ratio', stroke: COLORS.err, width: 1.5, value: function (u, v) { return pct(v); } },
        ],
        yfmt: pct,
        range: [0, null],
        values: [d.err],
        empty: 'No error ratio in this range: the signal reads no errors, or there were no requests to divide by.',
      },
      {
        name: 'completion',
        title: 'Downstream completion (funnel)',
        data: [d.t, d.compBase, d.comp],
        series: [
          { label: 'baseline', stroke: COLORS.base, width: 1, dash: [5, 4], value: function (u, v) { return pct(v); } },
          { label: 'completion', stroke: COLORS.comp, width: 1.5, value: function (u, v) { return pct(v); } },
        ],
        yfmt: pct,
        range: [0, 1],
        values: [d.comp],
        empty: 'No completion in this range: the signal reads no downstream input, or there were no requests.',
      },
      {
        name: 'amplification',
        title: 'Amplification: requests over baseline (attempts per request)',
        data: [d.t, d.amp],
        series: [{ label: 'M', stroke: COLORS.amp, width: 1.5, value: function (u, v) { return v == null ? '–' : num(v) + 'x'; } }],
        yfmt: function (v) { return num(v) + 'x'; },
        range: [0, null],
        values: [d.amp],
        empty: "Nothing yet: amplification is requests over their baseline, which warms up first (detector.minBaselinePoints).",
      },
      {
        name: 'anomaly',
        title: 'Anomaly score: how unusual each moment is (0 to 1)',
        data: [d.t, d.anomaly],
        series: [{ label: 'score', stroke: COLORS.score, width: 1.5, value: function (u, v) { return v == null ? '–' : v.toFixed(2); } }],
        yfmt: function (v) { return v.toFixed(1); },
        range: [0, 1],
        values: [d.anomaly],
        empty: "Nothing yet: the anomaly score needs the checks' baselines, which warm up first (detector.minBaselinePoints).",
      },
    ];
  }

  // The time axis in UTC as the tables write it (ISO dates, 24 h), the date where a day begins and
  // seconds when the ticks are closer than a minute; uPlot's default read 7/20/23 11:50am.
  function utcTicks(u, splits) {
    var step = splits.length > 1 ? splits[1] - splits[0] : 60;
    return splits.map(function (s, i) {
      var text = new Date(s * 1000).toISOString();
      var time = step < 60 ? text.slice(11, 19) : text.slice(11, 16);
      var day = text.slice(0, 10);
      var before = i > 0 ? new Date(splits[i - 1] * 1000).toISOString().slice(0, 10) : '';
      return day !== before ? time + '\n' + day + ' UTC' : time;
    });
  }

  function initialRange(d, atMs) {
    var lo = d.fromMs, hi = d.toMs;
    if (atMs != null && isFinite(atMs)) {
      var half = Math.min(30 * 60000, Math.max(5 * 60000, (hi - lo) / 2));
      lo = Math.max(d.fromMs, atMs - half);
      hi = Math.min(d.toMs, atMs + half);
      if (hi <= lo) { lo = atMs - half; hi = atMs + half; }
    }
    return [lo / 1000, hi / 1000];
  }

  /** Draws the charts of one series into `root`; returns a handle with update() and zoomTo(). */
  function render(root, d, opts) {
    opts = opts || {};
    root.innerHTML = '';
    root.classList.add('sw-series');
    var syncKey = opts.syncKey || 'sw-' + Math.random().toString(36).slice(2);
    var width = Math.max(320, (opts.width || root.clientWidth || 1000) - 8);
    var plots = [];
    var syncing = false;
    var range = initialRange(d, d.atMs);
    var view = { d: d };
    var wrap = el('div', { class: 'sw-charts' });
    root.appendChild(wrap);
    chartSpecs(d).forEach(function (spec, i) {
      var box = el('div', { class: 'sw-chart', role: 'figure', 'aria-label': spec.title, 'data-chart': spec.name });
      wrap.appendChild(box);
      var plotOpts = {
        title: spec.title,
        width: width,
        height: opts.height || 170,
        cursor: { sync: { key: syncKey, setSeries: false }, drag: { x: true, y: false } },
        // Times in UTC, as the tables and the alerts write them.
        tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
        scales: { x: { time: true, min: range[0], max: range[1] }, y: { range: spec.yRange ? spec.yRange : spec.range ? function (u, min, max) { var top = spec.range[1] != null ? Math.max(spec.range[1], max) : max > 0 ? max * 1.08 : 1; return [Math.min(spec.range[0], min), top * (spec.range[1] != null ? 1.04 : 1)]; } : undefined } },
        // 80 px between time ticks: HH:MM:SS labels ran together at uPlot's default 50.
        axes: [{ values: utcTicks, space: 80 }, { size: 60, values: function (u, splits) { return splits.map(spec.yfmt); } }],
        series: [{ value: function (u, v) { return v == null ? '–' : iso(v * 1000); } }].concat(spec.series.map(function (s) { return Object.assign({ spanGaps: false, points: { show: false } }, s); })),
        bands: spec.bands,
        plugins: [marksPlugin(view, i === 0)],
        hooks: {
          setScale: [
            function (u, key) {
              if (key !== 'x' || syncing) return;
              syncing = true;
              var mn = u.scales.x.min, mx = u.scales.x.max;
              plots.forEach(function (p) { if (p !== u) p.setScale('x', { min: mn, max: mx }); });
              root.dataset.xmin = String(mn);
              root.dataset.xmax = String(mx);
              syncing = false;
            },
          ],
        },
      };
      plots.push(new uPlot(plotOpts, spec.data, box));
      box.appendChild(el('p', { class: 'sw-muted sw-chart-empty' }, [spec.empty]));
      showEmpty(box, spec);
    });
    root.dataset.xmin = String(range[0]);
    root.dataset.xmax = String(range[1]);
    plots.forEach(function (p) { p.setScale('x', { min: range[0], max: range[1] }); });
    root.appendChild(details(d, function (a) { zoomTo(a.startsAtMs - 10 * 60000, (a.endsAtMs != null ? a.endsAtMs : d.toMs) + 10 * 60000); }));
    root.dataset.ready = '1';

    function zoomTo(fromMs, toMs) {
      plots[0].setScale('x', { min: fromMs / 1000, max: toMs / 1000 });
    }
    return {
      plots: plots,
      zoomTo: zoomTo,
      update: function (next, follow) {
        // A range the reader chose (dragged) is kept; one showing all the data follows the new data.
        var x = plots[0].scales.x;
        var showingAll = x.min <= d.fromMs / 1000 + 1 && x.max >= d.toMs / 1000 - 1;
        d = next;
        view.d = next;
        chartSpecs(next).forEach(function (spec, i) {
          plots[i].setData(spec.data, false);
          showEmpty(wrap.children[i], spec);
        });
        if (follow && showingAll) plots[0].setScale('x', { min: next.fromMs / 1000, max: next.toMs / 1000 });
        else plots[0].setScale('x', { min: x.min, max: x.max });
        var old = root.querySelector('.sw-details');
        if (old) old.replaceWith(details(next, function (a) { zoomTo(a.startsAtMs - 600000, (a.endsAtMs != null ? a.endsAtMs : next.toMs) + 600000); }));
      },
    };
  }

  /** A chart with no value to draw says why, rather than standing empty. */
  function showEmpty(box, spec) {
    var points = spec.values.reduce(function (n, a) { return n + nonNull(a); }, 0);
    box.dataset.points = String(points);
    box.querySelector('.sw-chart-empty').hidden = points > 0;
  }

  /** Whether the alert was delivered when it fired, said before its description (nothing when it was). */
  function mutedNote(a) {
    if (!a.mutedBy || a.mutedBy.length === 0) return '';
    var by = a.mutedBy.join(', ');
    return a.releasedAtMs != null ? 'Muted when it fired (' + by + '), delivered at ' + iso(a.releasedAtMs) + '. ' : 'Muted (' + by + '): not delivered. ';
  }

  function details(d, onAlert) {
    var box = el('div', { class: 'sw-details' });
    // An old sentence on a series healthy since is said to be one: shown as the latest, it read as now.
    if (d.explanation) box.appendChild(el('p', { class: 'sw-explanation' }, [el('strong', null, [(d.explanation.alertOpenAt !== undefined ? 'The alert open at ' + iso(d.explanation.alertOpenAt) + ' said (' : d.explanation.current === false ? 'Last explanation, before the series read healthy again (' : 'Latest explanation (') + iso(d.explanation.atMs) + '): ']), d.explanation.text]));
    if (d.alerts.length > 0) {
      var rows = d.alerts.map(function (a) {
        var link = el('a', { href: '#', class: 'sw-alert-link', 'data-fingerprint': a.fingerprint }, [a.alertname]);
        link.addEventListener('click', function (ev) { ev.preventDefault(); onAlert(a); });
        var tr = el('tr', a.fingerprint === d.fingerprint ? { class: 'sw-selected' } : null, [
          el('td', { class: 'sw-name' }, [link]),
          el('td', null, [a.severity]),
          el('td', { class: 'sw-time' }, [iso(a.startsAtMs)]),
          el('td', { class: 'sw-time' }, [iso(a.firedAtMs)]),
          el('td', { class: 'sw-time' }, [a.endsAtMs != null ? iso(a.endsAtMs) : 'firing']),
          el('td', null, [mutedNote(a) + (a.description || a.summary)]),
        ]);
        return tr;
      });
      box.appendChild(el('h3', null, ['Alerts']));
      box.appendChild(el('table', { class: 'sw-table' }, [el('tr', null, ['alert', 'severity', 'starts', 'fired', 'ends', 'why'].map(function (h) { return el('th', null, [h]); }))].concat(rows)));
    }
    if (d.deploys.length > 0) {
      box.appendChild(el('h3', null, ['Deploys']));
      box.appendChild(el('table', { class: 'sw-table' }, [el('tr', null, ['started', 'service', 'version', 'verdict', 'why'].map(function (h) { return el('th', null, [h]); }))].concat(
        d.deploys.map(function (dep) {
          return el('tr', null, [
            el('td', { class: 'sw-time' }, [iso(dep.startedAtMs)]),
            el('td', { class: 'sw-name' }, [dep.service]),
            el('td', null, [dep.version]),
            el('td', { class: 'sw-verdict-' + dep.verdict }, [dep.verdict]),
            el('td', null, [dep.reasons.join('; ')]),
          ]);
        }),
      )));
    }
    return box;
  }

  window.StormwatchCharts = { render: render, iso: iso, num: num, pct: pct };
})();
