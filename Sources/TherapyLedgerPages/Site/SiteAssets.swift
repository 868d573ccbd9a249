/// The served pages' one style sheet and one script, served by the server itself (`/assets/pages.css`,
/// `/assets/pages.js`): nothing inline, so that the Content-Security-Policy can forbid inline code.
public enum SiteAssets {
    /// The report's style sheet and what the served pages add: the header bar, forms, errors and notices.
    public static let css = PageStyle.css + "\n" + """
        header.site .site-bar { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; margin-bottom: 8px; }
        header.site nav { flex: 1; }
        header.site .site-name { font-weight: 700; }
        header.site .viewer { margin: 0; }
        form { margin: 0; }
        button { font: inherit; padding: 4px 14px; border-radius: 4px; border: 2px solid \(Palette.info); background: \(Palette.info); color: \(Palette.background); cursor: pointer; }
        button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid \(Palette.accent); outline-offset: 2px; }
        input, select, textarea { font: inherit; color: \(Palette.text); background: \(Palette.background); border: 1px solid \(Palette.muted); border-radius: 3px; padding: 3px 6px; }
        .inline-form { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; margin: 12px 0; }
        form.stacked { margin-top: 12px; }
        .stacked .field { display: flex; flex-direction: column; gap: 2px; margin: 0 0 12px; max-width: 36em; }
        .stacked .field .help { color: \(Palette.muted); font-size: 0.9em; margin: 0; }
        .stacked textarea { min-height: 6em; }
        .required-mark { color: \(Palette.critical); font-weight: 700; }
        .field-error, .form-error { color: \(Palette.critical); font-weight: 600; margin: 2px 0; }
        #form-errors { border: 2px solid \(Palette.critical); border-radius: 4px; padding: 6px 12px; margin: 12px 0; }
        #form-errors:empty { display: none; }
        [aria-invalid="true"] { border: 2px solid \(Palette.critical); }
        .notice { background: \(Palette.panel); border-left: 4px solid \(Palette.due); padding: 8px 12px; margin: 12px 0; }
        .hint { color: \(Palette.muted); }
        .actions { display: flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; padding: 0; margin: 8px 0; }
        .expectation { background: \(Palette.panel); border-radius: 4px; padding: 6px 12px; margin: 0 0 12px; max-width: 36em; }
        @media print {
          header.site .site-bar, .inline-form, #as-of, .actions, #sign-out { display: none; }
        }
        """

    /// The pages' script: updates the refill form's expected residual and discrepancy threshold when the
    /// time changes, from `GET /patients/{id}/expected-residual?at=ISO`. Everything works without it.
    public static let script = """
        "use strict";
        (function () {
          var form = document.getElementById("record-form");
          if (!form) { return; }
          var url = form.getAttribute("data-expected-residual");
          var time = document.getElementById("occurredAt");
          var expected = document.getElementById("expected-residual");
          var threshold = document.getElementById("discrepancy-threshold");
          if (!url || !time || !expected || !threshold) { return; }
          var pending = null;
          function update() {
            var at = time.value.trim();
            if (!at) { return; }
            if (pending) { pending.abort(); }
            var request = new XMLHttpRequest();
            pending = request;
            request.open("GET", url + "?at=" + encodeURIComponent(at));
            request.setRequestHeader("Accept", "application/json");
            request.onload = function () {
              if (pending !== request) { return; }
              pending = null;
              var answer = null;
              try { answer = JSON.parse(request.responseText); } catch (e) { answer = null; }
              if (request.status === 200 && answer) {
                expected.value = answer.expectedResidualText;
                threshold.value = answer.thresholdText;
              } else {
                var message = answer && answer.detail ? answer.detail : "unavailable for that time";
                expected.value = message;
                threshold.value = "-";
              }
            };
            request.send();
          }
          time.addEventListener("change", update);
          time.addEventListener("input", function () {
            window.clearTimeout(time.timer);
            time.timer = window.setTimeout(update, 400);
          });
        })();

        """
}
