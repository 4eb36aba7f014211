/// `GET /dashboard/app.css`: one stylesheet for every page. Layout wraps (flex and grid) so the pages read at phone
/// width; images never grow past their box. Served as a file because the CSP allows no inline style.
enum DashboardStyle {
    static let css = """
        :root { --ink: #1d232a; --muted: #5b6570; --line: #d5dbe1; --accent: #0b5cad; --ok: #1a7f37; --bad: #c62828; --wait: #b26a00; --split: 50%; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f6f8fa; }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .75rem 1rem; background: #fff; border-bottom: 1px solid var(--line); }
        .brand { font-weight: 700; color: var(--ink); text-decoration: none; }
        nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: 0; padding: 0; list-style: none; }
        nav a { color: var(--accent); text-decoration: none; padding: .25rem 0; }
        nav a[aria-current="page"] { font-weight: 700; border-bottom: 2px solid var(--accent); }
        main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.5rem; overflow-wrap: anywhere; }
        h2 { font-size: 1.15rem; }
        a { color: var(--accent); }
        #notice:not(:empty) { margin: 0 0 1rem; padding: .5rem .75rem; border-left: 4px solid var(--accent); background: #e8f1fb; }
        #notice.error { border-color: var(--bad); background: #fdecea; }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr)); gap: 1rem; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; }
        dl div { display: flex; justify-content: space-between; gap: 1rem; border-bottom: 1px dotted var(--line); }
        dt { color: var(--muted); }
        dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; text-align: right; }
        .facts div { flex-wrap: wrap; }
        .chart { margin: 0; overflow-x: auto; }
        .chart svg { max-width: 100%; height: auto; background: #fff; border: 1px solid var(--line); }
        .bar.succeeded, .key.succeeded::before { fill: var(--ok); background: var(--ok); }
        .bar.failed, .key.failed::before { fill: var(--bad); background: var(--bad); }
        .bar.pending, .key.pending::before { fill: var(--wait); background: var(--wait); }
        .key::before { content: ""; display: inline-block; width: .8em; height: .8em; margin-right: .25em; }
        .axis { stroke: var(--muted); }
        .tick { font-size: 10px; fill: var(--muted); }
        form#filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; }
        .field { display: flex; flex-direction: column; gap: .15rem; margin-bottom: .5rem; }
        input, select, button { font: inherit; padding: .3rem .5rem; }
        button { cursor: pointer; border: 1px solid var(--accent); background: #fff; color: var(--accent); border-radius: 4px; }
        button:disabled { opacity: .5; cursor: default; }
        .problems { color: var(--bad); }
        .table-wrap { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        caption { text-align: left; color: var(--muted); padding: .25rem 0; }
        th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        td.url { overflow-wrap: anywhere; max-width: 24rem; min-width: 10rem; }
        td.project, td.status { white-space: nowrap; }
        [data-status="SUCCEEDED"] .status, #status[data-status="SUCCEEDED"] { color: var(--ok); font-weight: 600; }
        [data-status="FAILED"] .status, [data-status="REJECTED"] .status, [data-status="LOST"] .status,
        #status[data-status="FAILED"], #status[data-status="REJECTED"], #status[data-status="LOST"] { color: var(--bad); font-weight: 600; }
        tr.fresh { animation: fresh 2s ease-out; }
        @keyframes fresh { from { background: #fff6d6; } to { background: #fff; } }
        .actions { display: flex; flex-wrap: wrap; gap: .5rem; }
        .side-by-side { display: flex; flex-wrap: wrap; gap: 1rem; }
        .side-by-side figure { margin: 0; flex: 1 1 16rem; max-width: 30rem; }
        .side-by-side img { width: 100%; background: #eceff1; }
        img { max-width: 100%; height: auto; }
        .compare { position: relative; width: 100%; max-width: 40rem; aspect-ratio: 4 / 3; margin-top: 1rem; background: #eceff1; overflow: hidden; }
        .compare img { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; }
        .compare #after { clip-path: inset(0 0 0 var(--split)); border-left: 2px solid #fff; }
        #slider { display: block; width: 100%; max-width: 40rem; }
        .slider-label { display: block; margin-top: .5rem; color: var(--muted); }
        .thumbnails { display: flex; flex-wrap: wrap; gap: .75rem; padding: 0; list-style: none; }
        .thumbnails a { display: flex; flex-direction: column; gap: .25rem; width: 9rem; text-decoration: none; }
        .thumbnails img { width: 9rem; height: 6rem; object-fit: cover; border: 1px solid var(--line); }
        .thumbnails a[aria-current="page"] { font-weight: 700; }
        #timeline { padding-left: 1.25rem; }
        #timeline li { margin-bottom: .5rem; }
        .source, .outcome { font-weight: 600; }
        pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #fff; border: 1px solid var(--line); padding: .5rem; max-height: 20rem; overflow: auto; }
        @media (max-width: 40rem) { th, td { padding: .25rem; } main { padding: .5rem; } }

        """
}
