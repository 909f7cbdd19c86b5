-- informer_plot_svg(): a well-formed SVG whose anomaly markers sit exactly
-- on the anomalous buckets of informer.anomalies, at the coordinates the
-- scale gives; names are escaped; bad input is refused.
CREATE DATABASE informer_plot;
\c informer_plot
SET client_min_messages = warning;
CREATE EXTENSION informer;
SET TimeZone = 'UTC';

-- One RPC whose service names need escaping in XML, half-hour buckets:
-- 50 + 10 sin calls, a spike at bucket 4 and a drop at bucket 9.
CREATE TABLE plot_log (ts timestamptz, trace text, caller text, callee text);
INSERT INTO plot_log
SELECT timestamptz '2026-03-02 00:00+00' + b * interval '30 minutes' + j * interval '1 second',
       b || '_' || j, 'cart<&>', 'pay "v2"'
  FROM generate_series(0, 12) b,
       generate_series(1, CASE b WHEN 4 THEN 150 WHEN 9 THEN 5
                                 ELSE round(50 + 10 * sin(b))::int END) j;
SELECT informer_register_source('shop', 'plot_log', 'ts', 'trace', 'caller', 'callee', '30 minutes');
SELECT rows_read FROM informer_refresh_traffic('shop');
SELECT patterns FROM informer_mine_patterns('shop', '2026-03-02', '2026-03-03');
-- forecasts by hand: the undisturbed curve, bounds +- 9 (M = 0, Sigma = 3)
INSERT INTO informer.models (pattern_id, version, config, metrics, weights, active, owner)
SELECT pattern_id, 1, '{}', '{}', '\x00', true, current_user::regrole FROM informer.pattern;
INSERT INTO informer.predictions (model_id, rpc_id, bucket, step, predicted, lower, upper)
SELECT m.model_id, r.rpc_id, timestamptz '2026-03-02 00:00+00' + b * interval '30 minutes', 1,
       round(50 + 10 * sin(b)), round(50 + 10 * sin(b)) - 9, round(50 + 10 * sin(b)) + 9
  FROM informer.models m, informer.rpc r, generate_series(0, 12) b;
SELECT informer_refresh_anomalies();
SELECT bucket, observed, direction FROM informer.anomalies WHERE is_anomaly ORDER BY bucket;

CREATE TABLE svg AS
SELECT informer_plot_svg((SELECT rpc_id FROM informer.rpc), '2026-03-02 00:00+00', '2026-03-02 06:00+00')::xml AS doc;
SELECT xml_is_well_formed_document(doc::text) AS well_formed,
       (xpath('/svg:svg/svg:title/text()', doc, ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']]))[1]::text AS title,
       (xpath('count(/svg:svg/svg:circle)', doc, ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']]))[1]::text AS markers,
       array_length(string_to_array((xpath('/svg:svg/svg:polyline[@class="observed"]/@points', doc,
                    ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']]))[1]::text, ' '), 1) AS observed_points
  FROM svg;
-- every marker is an anomalous bucket of the view, at the observed count on
-- the plot's scale (60 + 820 * time fraction; 30 + 250 * (top - calls) /
-- (top - bottom), top = the largest of observed, upper, predicted), and
-- every anomalous bucket has a marker
WITH m AS (
    SELECT (xpath('/*/@data-bucket', c))[1]::text::timestamptz AS bucket,
           (xpath('/*/@cx', c))[1]::text::numeric AS cx, (xpath('/*/@cy', c))[1]::text::numeric AS cy
      FROM svg, unnest(xpath('/svg:svg/svg:circle', doc, ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']])) c),
top AS (SELECT greatest(max(observed), max(upper), max(predicted)) AS hi, least(0, min(lower)) AS lo
          FROM informer.anomalies),
want AS (
    SELECT a.bucket,
           round((60 + 820 * extract(epoch FROM a.bucket - '2026-03-02 00:00+00') / (6 * 3600))::numeric, 1) AS cx,
           round((30 + 250 * (top.hi - a.observed) / (top.hi - top.lo))::numeric, 1) AS cy
      FROM informer.anomalies a, top WHERE a.is_anomaly)
SELECT (SELECT count(*) FROM (SELECT * FROM m EXCEPT SELECT * FROM want) x) AS markers_not_in_view,
       (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM m) x) AS anomalies_without_marker,
       (SELECT count(*) FROM m) AS markers;
-- the band is one polygon with a point per bucket on each bound
SELECT array_length(string_to_array((xpath('/svg:svg/svg:polygon/@points', doc,
       ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']]))[1]::text, ' '), 1) AS band_points
  FROM svg;
-- a range with nothing judged is still a picture, without markers
SELECT xml_is_well_formed_document(s) AS well_formed, s LIKE '%<circle%' AS has_markers
  FROM informer_plot_svg((SELECT rpc_id FROM informer.rpc), '2030-01-01', '2030-01-02') s;
-- only the buckets of the range are drawn
SELECT (xpath('count(/svg:svg/svg:circle)', s::xml, ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']]))[1]::text AS markers
  FROM informer_plot_svg((SELECT rpc_id FROM informer.rpc), '2026-03-02 00:00+00', '2026-03-02 03:00+00') s;

-- bad input
SELECT informer_plot_svg(NULL, '2026-03-02', '2026-03-03');
SELECT informer_plot_svg(1, '2026-03-03', '2026-03-02');
SELECT informer_plot_svg(1, '-infinity', '2026-03-02');
SELECT informer_plot_svg(1, '2026-03-02', '2026-03-03', width => 10);
SELECT informer_plot_svg(1, '2026-03-02', '2026-03-03', height => 100000);
SELECT informer_plot_svg(12345, '2026-03-02', '2026-03-03');
-- a second pattern judging the same RPC makes the choice ambiguous
SELECT patterns FROM informer_mine_patterns('shop', '2026-03-02', '2026-03-03');
INSERT INTO informer.models (pattern_id, version, config, metrics, weights, active, owner)
SELECT max(pattern_id), 1, '{}', '{}', '\x00', true, current_user::regrole FROM informer.pattern;
INSERT INTO informer.predictions (model_id, rpc_id, bucket, step, predicted, lower, upper)
SELECT max(m.model_id), min(r.rpc_id), '2026-03-02 01:00+00', 1, 50, 40, 60 FROM informer.models m, informer.rpc r;
SELECT informer_refresh_anomalies();
SELECT informer_plot_svg(1, '2026-03-02', '2026-03-03');
SELECT (xpath('count(/svg:svg/svg:circle)', s::xml, ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']]))[1]::text AS markers
  FROM informer_plot_svg(1, '2026-03-02', '2026-03-03', pattern_id => (SELECT min(pattern_id) FROM informer.pattern)) s;

\c contrib_regression
DROP DATABASE informer_plot;
