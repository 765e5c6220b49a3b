/*! Tracklane click tracker, for the Trackdesk loader snippet.
 * trackdesk(tenantId, 'click' [, options] [, cb])  cb({cid, expiredAt}); cid: null if none
 *   stored (no aff/via/ref/cid in the URL, or the server said no). options: unused.
 * trackdesk(tenantId, 'externalCid', {externalCid, revenueOriginId} [, cb])  cb({ok})
 * trackdesk(tenantId, 'conversion', {conversionType, amount: {value}, …} [, cb])  cb({ok, conversionId})
 * Failures add `error`: the HTTP status, 'network' or 'no cid'. Never throws into the page.
 * While a cid is stored, 'click' adds it to Stripe Payment Links (client_reference_id). */
(function (w, d) {
  'use strict';
  var KEY = 'trakdesk_cid';
  function valid(id) { return typeof id === 'string' && /^[A-Za-z0-9_-]+$/.test(id); }
  var names = w.TrackdeskObject;
  if (names && names.f && names.f.tracklane) return; // loaded twice

  function debug(m, e) {
    try { w.console.debug('[tracklane] ' + m, e || ''); } catch (_) {}
  }

  // The server is where this script came from: <base>/tracking.js (or
  // <base>/static/tracking.js). An async script may not be currentScript.
  var base = '', el = d.currentScript, s = d.scripts, i;
  if (el && !el.src) el = null;
  for (i = s.length - 1; !el && i >= 0; i--) if (/\/tracking\.js([?#]|$)/.test(s[i].src)) el = s[i];
  if (el) base = el.src.replace(/[?#].*$/, '').replace(/\/(static\/)?[^/]*$/, '');

  // Call the merchant's callback; its errors are its own, not ours.
  function answer(cb, v) {
    if (typeof cb !== 'function') return;
    try { cb(v); } catch (e) { try { w.console.error('[tracklane] callback failed', e); } catch (_) {} }
  }

  // A stored value is the JSON {"cid":"…"}; tolerate it URL-encoded, or bare.
  function parse(v) {
    for (var n = 0; n < 3 && v; n++) {
      try { var o = JSON.parse(v); if (o && valid(o.cid)) return o.cid; } catch (_) {}
      if (valid(v)) return v;
      try { v = decodeURIComponent(v); } catch (_) { break; }
    }
    return null;
  }
  // The click id: the cookie first, then localStorage unless expired.
  function readCid() {
    var c = (d.cookie || '').split(/;\s*/), cid;
    for (var i = 0; i < c.length; i++) {
      if (c[i].indexOf(KEY + '=') === 0 && (cid = parse(c[i].slice(KEY.length + 1)))) return cid;
    }
    try {
      var exp = w.localStorage.getItem(KEY + '_exp');
      return exp && Date.parse(exp) < Date.now() ? null : parse(w.localStorage.getItem(KEY));
    } catch (_) { return null; }
  }
  function store(cid, expires) {
    var v = JSON.stringify({ cid: cid }); // raw JSON, not URL-encoded
    d.cookie = KEY + '=' + v + '; path=/; expires=' + expires.toUTCString() +
      '; SameSite=Lax' + (w.location.protocol === 'https:' ? '; Secure' : '');
    try {
      w.localStorage.setItem(KEY, v);
      w.localStorage.setItem(KEY + '_exp', expires.toISOString());
    } catch (_) {}
  }

  // Payment Links (not http, lookalikes): our older cid is replaced, the
  // merchant's value kept. Writing only on a change ends the observer's echo.
  var P = 'client_reference_id', cur, mine = [], watching;
  function fix(a) {
    if (a.origin !== 'https://buy.stripe.com') return;
    var q = a.search.slice(1).split('&'), out = [], i, p;
    for (i = 0; i < q.length; i++) {
      p = q[i].split('=');
      if (p[0] !== P) { if (q[i]) out.push(q[i]); } else if (p[1] && mine.indexOf(p[1]) < 0) return;
    }
    out.push(P + '=' + cur);
    p = '?' + out.join('&');
    if (p !== a.search) a.search = p;
  }
  function scan(n) {
    try {
      fix(n);
      for (var l = n.querySelectorAll('a,area'), i = 0; i < l.length; i++) fix(l[i]);
    } catch (e) { debug('links failed', e); }
  }
  function links(cid) {
    try {
      if (!valid(cid) || cid.length > 200) return; // Stripe's limit
      mine.push(cur = cid);
      scan(d);
      if (watching) return;
      watching = 1;
      d.addEventListener('DOMContentLoaded', function () { scan(d); });
      if (w.MutationObserver) new w.MutationObserver(function (rs) {
        for (var i = 0, j, r; (r = rs[i]); i++) {
          if (r.attributeName) scan(r.target);
          for (j = 0; j < r.addedNodes.length; j++) if (r.addedNodes[j].nodeType === 1) scan(r.addedNodes[j]);
        }
      }).observe(d, { childList: 1, subtree: 1, attributeFilter: ['href'] });
    } catch (e) { debug('links failed', e); }
  }

  // POST the body as text/plain JSON (no CORS preflight); done(status, json).
  function post(path, body, done) {
    var url = base + path, data = JSON.stringify(body);
    if (typeof w.fetch !== 'function') { // no answer to read: status 202
      return done(w.navigator.sendBeacon && w.navigator.sendBeacon(url, data) ? 202 : 0, null);
    }
    w.fetch(url, {
      method: 'POST', body: data, headers: { 'Content-Type': 'text/plain' },
      keepalive: true, credentials: 'omit', mode: 'cors'
    }).then(function (r) {
      return r.status === 200 ? r.json().then(function (j) { return [200, j]; }) : [r.status, null];
    }).catch(function (e) {
      debug('request failed', e);
      return [0, null];
    }).then(function (a) {
      try { done(a[0], a[1]); } catch (e) { debug('answer failed', e); }
    });
  }

  function click(tenantId, cb) {
    var q = new URLSearchParams(w.location.search), cid = q.get('cid');
    var aff = q.get('aff') || q.get('via') || q.get('ref');
    if (valid(cid)) { // from the redirect link: keep it the default 30 days
      var exp = new Date(Date.now() + 30 * 864e5);
      store(cid, exp);
      links(cid);
      return answer(cb, { cid: cid, expiredAt: exp.toISOString() });
    }
    links(readCid());
    if (!aff) return answer(cb, { cid: null, expiredAt: null });
    post('/tracking/click/v1', {
      tenantId: tenantId, aff: aff, url: w.location.href, referrer: d.referrer, cid: readCid()
    }, function (status, j) {
      var at = j && valid(j.cid) && Date.parse(j.expiredAt);
      if (status !== 200 || !at) return answer(cb, { cid: null, expiredAt: null, error: status || 'network' });
      store(j.cid, new Date(at));
      links(j.cid);
      answer(cb, { cid: j.cid, expiredAt: j.expiredAt });
    });
  }

  function externalCid(tenantId, o, cb) {
    var cid = readCid();
    if (!cid) return answer(cb, { ok: false, error: 'no cid' });
    post('/tracking/external-cid/v1', {
      tenantId: tenantId, cid: cid, externalCid: o && o.externalCid, revenueOriginId: o && o.revenueOriginId
    }, function (status) {
      answer(cb, status === 200 || status === 202 ? { ok: true } : { ok: false, error: status || 'network' });
    });
  }

  // A customParams value {queryParam: 'x'} is the URL's ?x= (none: dropped).
  function conversion(tenantId, o, cb) {
    o = o || {};
    var b = { tenantId: tenantId, cid: readCid(), customParams: {} }, p = o.customParams || {}, k, v,
      q = new URLSearchParams(w.location.search),
      f = 'conversionType amount currency externalId customerId externalCid couponCodes revenueOriginId status'.split(' ');
    for (k = 0; k < f.length; k++) if (o[f[k]] !== undefined) b[f[k]] = o[f[k]];
    for (k in p) {
      v = p[k];
      if (v && typeof v === 'object') v = q.get(v.queryParam);
      if (v != null && typeof v !== 'function') b.customParams[k] = String(v);
    }
    post('/tracking/conversion/v1', b, function (status, j) {
      answer(cb, status === 200 || status === 202 ? { ok: true, conversionId: (j && j.conversionId) || null } : { ok: false, error: status || 'network' });
    });
  }

  // The real trackdesk(): after the command, the first object is the options
  // and the first function the callback.
  function trackdesk(tenantId, command) {
    try {
      var cb, opts, a;
      for (var i = 2; i < arguments.length; i++) {
        a = arguments[i];
        if (typeof a === 'function') cb = cb || a;
        else if (a && typeof a === 'object') opts = opts || a;
      }
      if (command === 'click') click(tenantId, cb);
      else if (command === 'externalCid') externalCid(tenantId, opts, cb);
      else if (command === 'conversion') conversion(tenantId, opts, cb);
      else debug('unknown command', command);
    } catch (e) { debug(command + ' failed', e); }
  }
  trackdesk.tracklane = true;

  // Replace every stub named in TrackdeskObject, then replay the queued calls
  // in order. A stub made after this picks up TrackdeskObject.f.
  try {
    if (!names || typeof names.push !== 'function') names = w.TrackdeskObject = [];
    if (!names.length) names.push('trackdesk');
    names.f = trackdesk;
    var queued = [];
    for (i = 0; i < names.length; i++) {
      var stub = w[names[i]];
      if (stub === trackdesk) continue;
      if (stub && stub.q) queued = queued.concat([].slice.call(stub.q));
      w[names[i]] = trackdesk;
    }
    for (i = 0; i < queued.length; i++) trackdesk.apply(w, queued[i]);
  } catch (e) { debug('setup failed', e); }
})(window, document);
