//! `index.html`: the batch's videos on one page, beside them in the out folder. One card per
//! line (the playable video, `preload="metadata"`, the provider's thumbnail as its poster where
//! there is one; prompt, provider and model, status and
//! reason, duration, frame size and bytes, cost, job handle), totals at the top, filters by
//! status and provider, sorting by line, cost, length or time finished (newest first). Self-contained: no network, no
//! external script, style or font, so it opens from `file://`. Every text from a prompt or a
//! server is escaped (they are untrusted); while the batch runs the page reloads itself every
//! 10 seconds, keeping its filters in the URL's fragment.

use super::results::ResultRow;
use std::collections::BTreeMap;
use std::fmt::Write;

/// How often a live page reloads itself, in seconds.
pub const LIVE_RELOAD_SECONDS: u32 = 10;

/// Escapes text for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A file name as a relative URL: every byte outside RFC 3986's unreserved set percent-encoded
/// (a `#`, `?` or `:` in a name stays part of the name).
fn href(file: &str) -> String {
    let mut out = String::new();
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

const STYLE: &str = "
body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f6;color:#222}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:.8em 1.2em;z-index:1}
h1{font-size:1.2em;margin:0 0 .4em}
.totals span{margin-right:1.2em}
.controls label{margin-right:1em}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:1em;padding:1.2em}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:.6em;overflow-wrap:anywhere}
.card video{width:100%;height:200px;object-fit:contain;background:#000;border-radius:4px}
.card .prompt{font-weight:600;margin:.4em 0}
.card .meta{font-size:.85em;color:#555}
.status{display:inline-block;padding:0 .5em;border-radius:1em;font-size:.8em;color:#fff}
.s-done{background:#2a7}.s-failed,.s-refused{background:#c33}.s-unknown{background:#d80}
.s-submitted,.s-submitting,.s-pending{background:#68a}
.reason{color:#a22;font-size:.85em}
.sim{color:#a60;font-size:.8em}
.novideo{height:120px;display:flex;align-items:center;justify-content:center;background:#eee;color:#777;border-radius:4px}
.job{font-family:monospace;font-size:.75em;color:#777}
";

const SCRIPT: &str = r#"
(function(){
  var main=document.querySelector('main');
  var status=document.getElementById('status-filter');
  var provider=document.getElementById('provider-filter');
  var sort=document.getElementById('sort');
  function apply(){
    var cards=Array.prototype.slice.call(main.querySelectorAll('.card'));
    var shown=0;
    cards.forEach(function(c){
      var ok=(!status.value||c.dataset.status===status.value)&&(!provider.value||c.dataset.provider===provider.value);
      c.hidden=!ok; if(ok){shown++;}
    });
    var key=sort.value;
    cards.sort(function(a,b){
      if(key==='line'){return a.dataset.line-b.dataset.line;}
      return (parseFloat(b.dataset[key])||0)-(parseFloat(a.dataset[key])||0)||a.dataset.line-b.dataset.line;
    });
    cards.forEach(function(c){main.appendChild(c);});
    document.getElementById('shown').textContent=shown;
    history.replaceState(null,'','#'+[status.value,provider.value,sort.value].map(encodeURIComponent).join('/'));
  }
  var saved=location.hash.slice(1).split('/').map(decodeURIComponent);
  if(saved.length===3){status.value=saved[0];provider.value=saved[1];sort.value=saved[2]||'line';}
  [status,provider,sort].forEach(function(e){e.addEventListener('change',apply);});
  apply();
})();
"#;

/// The page for `rows`.
pub fn page(rows: &[ResultRow], live: bool) -> String {
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    let mut providers: BTreeMap<&str, usize> = BTreeMap::new();
    let mut cost: BTreeMap<&str, videogen::Decimal> = BTreeMap::new();
    for row in rows {
        *by_status.entry(row.status.as_str()).or_default() += 1;
        *providers.entry(row.provider.as_deref().unwrap_or("?")).or_default() += 1;
        for c in &row.cost {
            *cost.entry(c.currency.as_str()).or_default() += c.amount;
        }
    }
    let simulated = rows.iter().filter(|r| r.simulated).count();
    let mut html = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    if live {
        let _ = writeln!(html, "<meta http-equiv=\"refresh\" content=\"{LIVE_RELOAD_SECONDS}\">");
    }
    let _ = writeln!(
        html,
        "<meta name=\"viewport\" content=\"width=device-width\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; media-src 'self' file:; img-src 'self' file: data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n<title>videogen batch: {} lines</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>",
        rows.len()
    );
    let _ = writeln!(
        html,
        "<h1>videogen batch — {} lines{}</h1>",
        rows.len(),
        if live { " (running; this page reloads itself)" } else { "" }
    );
    html.push_str("<div class=\"totals\" id=\"totals\">");
    for (status, n) in &by_status {
        let _ = write!(html, "<span data-total=\"{0}\">{0}: <b>{n}</b></span>", escape(status));
    }
    let money: Vec<String> = cost.iter().map(|(c, a)| format!("{} {}", a.normalize(), escape(c))).collect();
    let _ = write!(
        html,
        "<span>reported cost: <b>{}</b></span>",
        if money.is_empty() { "none".to_string() } else { money.join(" + ") }
    );
    if simulated > 0 {
        let _ = write!(html, "<span class=\"sim\">{simulated} simulated (not real videos, no cost)</span>");
    }
    html.push_str("</div>\n<div class=\"controls\">");
    html.push_str("<label>status <select id=\"status-filter\"><option value=\"\">all</option>");
    for status in by_status.keys() {
        let _ = write!(html, "<option>{}</option>", escape(status));
    }
    html.push_str("</select></label><label>provider <select id=\"provider-filter\"><option value=\"\">all</option>");
    for provider in providers.keys() {
        let _ = write!(html, "<option>{}</option>", escape(provider));
    }
    html.push_str(
        "</select></label><label>sort <select id=\"sort\"><option value=\"line\">line</option><option value=\"cost\">cost</option><option value=\"seconds\">length</option><option value=\"finished\">time finished</option></select></label>",
    );
    html.push_str("<span><b id=\"shown\"></b> shown</span></div>\n</header>\n<main>\n");
    for row in rows {
        card(&mut html, row);
    }
    let _ = write!(html, "</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n");
    html
}

fn card(html: &mut String, row: &ResultRow) {
    let provider = row.provider.as_deref().unwrap_or("?");
    let seconds: f64 = row.files.iter().filter_map(|f| f.duration_seconds).sum();
    let cost: videogen::Decimal = row.cost.iter().map(|c| c.amount).sum();
    let _ = writeln!(
        html,
        "<article class=\"card\" id=\"line-{0}\" data-line=\"{0}\" data-status=\"{1}\" data-provider=\"{2}\" data-cost=\"{3}\" data-seconds=\"{4}\" data-finished=\"{5}\">",
        row.line,
        escape(&row.status),
        escape(provider),
        cost.normalize(),
        seconds,
        row.finished_at.map_or(0, |t| t.timestamp_millis())
    );
    if row.files.is_empty() {
        let _ = writeln!(html, "<div class=\"novideo\">no video ({})</div>", escape(&row.status));
    }
    for file in &row.files {
        let poster = file.poster.as_deref().map_or(String::new(), |p| format!(" poster=\"{}\"", escape(&href(p))));
        let _ = writeln!(
            html,
            "<video controls preload=\"metadata\" src=\"{}\"{poster} title=\"{}\"></video>",
            escape(&href(&file.file)),
            escape(&file.file)
        );
    }
    let prompt = match &row.prompt {
        Some(p) => p.clone(),
        None if !row.shots.is_empty() => row.shots.join(" → "),
        None => String::from("(prompt not recorded)"),
    };
    let _ = writeln!(html, "<div class=\"prompt\">{}</div>", escape(&prompt));
    let _ = writeln!(
        html,
        "<div class=\"meta\">line {} · <span class=\"status s-{1}\">{1}</span>{2} · {3} · {4}</div>",
        row.line,
        escape(&row.status),
        if row.content_policy { " (content policy)" } else { "" },
        escape(provider),
        escape(row.model.as_deref().unwrap_or("?"))
    );
    if let Some(reason) = &row.reason {
        let _ = writeln!(html, "<div class=\"reason\">{}</div>", escape(reason));
    }
    for file in &row.files {
        let size = match (file.width, file.height) {
            (Some(w), Some(h)) => format!("{w}×{h}"),
            _ => "size unknown".into(),
        };
        let _ = writeln!(
            html,
            "<div class=\"meta\">{} · {} · {} · {} bytes · {}{}</div>",
            escape(&file.file),
            file.duration_seconds.map_or("length unknown".into(), |d| format!("{d:.1} s")),
            size,
            file.bytes.map_or("?".into(), |b| b.to_string()),
            file.cost.as_ref().map_or("no reported cost".into(), |c| escape(&c.to_string())),
            if file.simulated { " · <span class=\"sim\">simulated</span>" } else { "" }
        );
    }
    for job in &row.jobs {
        let _ = writeln!(html, "<div class=\"job\">{}</div>", escape(&job.short_form()));
    }
    html.push_str("</article>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_is_escaped_and_names_are_urls() {
        assert_eq!(
            escape("<script>alert('x')</script> & \""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;"
        );
        assert_eq!(href("0001-ab.mp4"), "0001-ab.mp4");
        assert_eq!(href("a b#c?.mp4"), "a%20b%23c%3F.mp4");
        assert_eq!(href("é.mp4"), "%C3%A9.mp4");
    }
}
