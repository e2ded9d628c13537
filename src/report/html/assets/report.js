// Filters, search and sort for the findings table. Reads the table itself: no data is embedded.
(function () {
  'use strict';
  var table = document.getElementById('findings-table');
  var form = document.getElementById('filters');
  if (!table || !form) { return; }
  var tbody = table.tBodies[0];
  var count = document.getElementById('findings-count');
  // Ranks grow with urgency; these columns sort most urgent first on the first click.
  var SEV = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
  var ST = { fail: 3, error: 2, accepted: 1, pass: 0 };
  var COL = { sev: 0, st: 1, prov: 2, acct: 3, region: 4, check: 5, ctl: 6, res: 7 };
  var rows = [];
  var trs = tbody.rows;
  for (var i = 0; i < trs.length; i++) {
    var c = trs[i].cells;
    rows.push({
      tr: trs[i], i: i,
      sev: c[0].textContent, st: c[1].textContent, prov: c[2].textContent,
      acct: c[3].textContent, region: c[4].textContent, check: c[5].textContent,
      ctl: ' ' + c[6].textContent + ' ', res: c[7].textContent,
      text: trs[i].textContent.toLowerCase()
    });
  }
  var total = rows.length;
  var el = function (id) { return document.getElementById(id); };
  var fields = { sev: el('f-sev'), prov: el('f-prov'), acct: el('f-acct'), ctl: el('f-ctl'), st: el('f-st') };
  var q = el('f-q');

  function apply() {
    var want = {};
    for (var k in fields) { want[k] = fields[k].value; }
    var words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    for (var j = 0; j < rows.length; j++) {
      var r = rows[j];
      var ok = (!want.sev || r.sev === want.sev) && (!want.prov || r.prov === want.prov) &&
        (!want.acct || r.acct === want.acct) && (!want.st || r.st === want.st) &&
        (!want.ctl || r.ctl.indexOf(' ' + want.ctl + ' ') >= 0);
      for (var w = 0; ok && w < words.length; w++) { ok = r.text.indexOf(words[w]) >= 0; }
      if (r.tr.hidden === ok) { r.tr.hidden = !ok; }
      if (ok) { shown++; }
    }
    count.textContent = shown === total ? total + ' findings' : 'Showing ' + shown + ' of ' + total + ' findings';
  }

  var timer = 0;
  form.addEventListener('change', apply);
  q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(apply, 120); });
  form.addEventListener('submit', function (e) { e.preventDefault(); apply(); });
  form.addEventListener('reset', function () { setTimeout(function () { unsort(); apply(); }, 0); });

  // Sorting: a button in each sortable header, so it works from the keyboard.
  var sortKey = null, sortDir = 1;
  var ths = table.tHead.rows[0].cells;
  function place(cmp) {
    rows.sort(cmp);
    var frag = document.createDocumentFragment();
    for (var j = 0; j < rows.length; j++) { frag.appendChild(rows[j].tr); }
    tbody.appendChild(frag);
    for (var h = 0; h < ths.length; h++) { ths[h].removeAttribute('aria-sort'); }
  }
  function sortBy(key, th) {
    var rank = key === 'sev' ? SEV : key === 'st' ? ST : null;
    sortDir = sortKey === key ? -sortDir : (rank ? -1 : 1);
    sortKey = key;
    place(function (a, b) {
      var x = a[key], y = b[key], d;
      if (rank) { d = (rank[x] !== undefined ? rank[x] : -1) - (rank[y] !== undefined ? rank[y] : -1); }
      else { d = x < y ? -1 : x > y ? 1 : 0; }
      return d * sortDir || a.i - b.i;
    });
    th.setAttribute('aria-sort', sortDir > 0 ? 'ascending' : 'descending');
  }
  // Back to the report's own order: most urgent status, then severity.
  function unsort() {
    if (sortKey === null) { return; }
    sortKey = null;
    place(function (a, b) { return a.i - b.i; });
  }
  for (var h = 0; h < ths.length; h++) {
    (function (th) {
      var key = th.getAttribute('data-key');
      if (!key || COL[key] === undefined) { return; }
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = th.textContent;
      b.title = 'Sort by ' + th.textContent;
      th.textContent = '';
      th.appendChild(b);
      b.addEventListener('click', function () { sortBy(key, th); });
    })(ths[h]);
  }

  // "Show this control's findings" links in the control details set the control filter.
  document.addEventListener('click', function (e) {
    var a = e.target.closest ? e.target.closest('a[data-control]') : null;
    if (!a) { return; }
    form.reset();
    fields.ctl.value = a.getAttribute('data-control');
    apply();
  });

  form.hidden = false;
  document.documentElement.setAttribute('data-ready', '1');
})();
