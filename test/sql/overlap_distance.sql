-- informer_overlap_distance: hand-computed cases, edge cases, and a
-- brute-force reference (SQL set operations) on thousands of random pairs.

SELECT informer_overlap_distance('{1,2,3,4}', '{3,4,5}') AS one_third,
       informer_overlap_distance('{1,2,3}', '{1,2,3}') AS same,
       informer_overlap_distance('{1,2}', '{1,2,3,4,5}') AS subset,
       informer_overlap_distance('{1}', '{2}') AS disjoint;

-- 1 - 19/20 in float8 is 0.05000000000000004
SELECT informer_overlap_distance(array(SELECT generate_series(1, 20)),
                                 array(SELECT generate_series(1, 19)) || 99) AS nineteen_of_twenty;

-- order and duplicates do not matter
SELECT informer_overlap_distance('{4,3,3,2,1,1}', '{5,3,4,4}') = 1 - 2::float8 / 3 AS unsorted_dups;

-- negative ids are ordinary ids
SELECT informer_overlap_distance('{-5,0,7}', '{7,-5}') AS negatives;

-- NULL arrays: STRICT, so NULL
SELECT informer_overlap_distance(NULL, '{1}') IS NULL AS null_arg;

-- empty sets: undefined, NULL
SELECT informer_overlap_distance('{}', '{1,2}') IS NULL AS empty_left,
       informer_overlap_distance('{1,2}', '{}') IS NULL AS empty_right,
       informer_overlap_distance('{}', '{}') IS NULL AS both_empty;

-- NULL elements and multi-dimensional arrays are errors
SELECT informer_overlap_distance('{1,NULL,3}', '{1}');
SELECT informer_overlap_distance('{1}', '{{1,2},{3,4}}');

-- 10^6-element sets: half of the smaller one is shared
SELECT informer_overlap_distance(array(SELECT generate_series(1, 1000000)),
                                 array(SELECT generate_series(500001, 1500000))) AS half;

-- brute force on 5000 random pairs: |A n B| by INTERSECT, sizes by DISTINCT
SELECT setseed(0.42);
CREATE TEMP TABLE pairs AS
SELECT i,
       array(SELECT (random() * u)::int FROM generate_series(1, na) WHERE i > 0) AS a,
       array(SELECT (random() * u)::int FROM generate_series(1, nb) WHERE i > 0) AS b
  FROM (SELECT i, 1 + (random() * 25)::int AS na, 1 + (random() * 25)::int AS nb,
               1 + (random() * 60)::int AS u
          FROM generate_series(1, 5000) i) p;

SELECT count(*) AS pairs,
       count(*) FILTER (WHERE d IS DISTINCT FROM ref) AS mismatches,
       count(*) FILTER (WHERE d = 0) > 0 AS some_zero,
       count(*) FILTER (WHERE d = 1) > 0 AS some_one
  FROM (SELECT informer_overlap_distance(a, b) AS d,
               1.0::float8 - (SELECT count(*) FROM (SELECT unnest(a) INTERSECT SELECT unnest(b)) x)::float8
                 / least((SELECT count(DISTINCT x) FROM unnest(a) x),
                         (SELECT count(DISTINCT x) FROM unnest(b) x))::float8 AS ref
          FROM pairs) t;

-- symmetric
SELECT count(*) AS asymmetric FROM pairs
 WHERE informer_overlap_distance(a, b) <> informer_overlap_distance(b, a);

-- volatility and strictness as declared
SELECT provolatile, proisstrict, proparallel FROM pg_proc
 WHERE proname = 'informer_overlap_distance';
