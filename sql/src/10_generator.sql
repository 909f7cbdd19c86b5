-- informer install script, part 10: the synthetic RPC log generator.
-- Three functions with the same parameters: the log rows, the ground truth
-- of the injected events, and the call trees behind the rows.  The output
-- depends only on the parameters (own PRNG, no clock), hence IMMUTABLE.
-- Defaults are shaped like the Informer paper: two weeks of 20-minute
-- buckets, hundreds of RPCs, a registration pattern of about 50 RPCs.

CREATE FUNCTION @extschema@.informer_synthetic_logs(
    seed              bigint      DEFAULT 1,
    buckets           int         DEFAULT 1008,
    bucket_width      interval    DEFAULT interval '20 minutes',
    start_time        timestamptz DEFAULT '2026-01-05 00:00+00',
    services          int         DEFAULT 40,
    methods           int         DEFAULT 5,
    functionalities   int         DEFAULT 40,
    registration_rpcs int         DEFAULT 50,
    chains_per_day    float8      DEFAULT 100000,
    sampling_rate     float8      DEFAULT 0.2,
    zipf              float8      DEFAULT 1.0,
    daily_amplitude   float8      DEFAULT 0.6,
    weekly_amplitude  float8      DEFAULT 0.3,
    trend             float8      DEFAULT 0.1,
    dispersion        float8      DEFAULT 50,
    drop_prob         float8      DEFAULT 0.2,
    retry_prob        float8      DEFAULT 0.02,
    attack_factor     float8      DEFAULT 8,
    cracking_factor   float8      DEFAULT 20,
    outage_factor     float8      DEFAULT 0.02,
    events            boolean     DEFAULT true)
RETURNS TABLE (ts timestamptz, chain_id text, src text, dst text)
AS 'MODULE_PATHNAME', 'informer_synthetic_logs'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 1000000;
COMMENT ON FUNCTION @extschema@.informer_synthetic_logs(bigint, int, interval, timestamptz, int, int, int, int, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, boolean)
    IS 'synthetic RPC log rows in time order: chains drawn from call trees with seasonal, noisy, sampled traffic and labelled attacks, outage and change; deterministic for the parameters';

CREATE FUNCTION @extschema@.informer_synthetic_labels(
    seed              bigint      DEFAULT 1,
    buckets           int         DEFAULT 1008,
    bucket_width      interval    DEFAULT interval '20 minutes',
    start_time        timestamptz DEFAULT '2026-01-05 00:00+00',
    services          int         DEFAULT 40,
    methods           int         DEFAULT 5,
    functionalities   int         DEFAULT 40,
    registration_rpcs int         DEFAULT 50,
    chains_per_day    float8      DEFAULT 100000,
    sampling_rate     float8      DEFAULT 0.2,
    zipf              float8      DEFAULT 1.0,
    daily_amplitude   float8      DEFAULT 0.6,
    weekly_amplitude  float8      DEFAULT 0.3,
    trend             float8      DEFAULT 0.1,
    dispersion        float8      DEFAULT 50,
    drop_prob         float8      DEFAULT 0.2,
    retry_prob        float8      DEFAULT 0.02,
    attack_factor     float8      DEFAULT 8,
    cracking_factor   float8      DEFAULT 20,
    outage_factor     float8      DEFAULT 0.02,
    events            boolean     DEFAULT true)
RETURNS TABLE (kind text, src text, dst text, bucket_start int, bucket_end int, ts_start timestamptz, ts_end timestamptz, factor float8)
AS 'MODULE_PATHNAME', 'informer_synthetic_labels'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 100;
COMMENT ON FUNCTION @extschema@.informer_synthetic_labels(bigint, int, interval, timestamptz, int, int, int, int, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, boolean)
    IS 'ground truth of informer_synthetic_logs with the same parameters: each RPC whose expected count an event changes, its buckets (inclusive), and the factor (NULL for a new RPC)';

CREATE FUNCTION @extschema@.informer_synthetic_topology(
    seed              bigint      DEFAULT 1,
    buckets           int         DEFAULT 1008,
    bucket_width      interval    DEFAULT interval '20 minutes',
    start_time        timestamptz DEFAULT '2026-01-05 00:00+00',
    services          int         DEFAULT 40,
    methods           int         DEFAULT 5,
    functionalities   int         DEFAULT 40,
    registration_rpcs int         DEFAULT 50,
    chains_per_day    float8      DEFAULT 100000,
    sampling_rate     float8      DEFAULT 0.2,
    zipf              float8      DEFAULT 1.0,
    daily_amplitude   float8      DEFAULT 0.6,
    weekly_amplitude  float8      DEFAULT 0.3,
    trend             float8      DEFAULT 0.1,
    dispersion        float8      DEFAULT 50,
    drop_prob         float8      DEFAULT 0.2,
    retry_prob        float8      DEFAULT 0.02,
    attack_factor     float8      DEFAULT 8,
    cracking_factor   float8      DEFAULT 20,
    outage_factor     float8      DEFAULT 0.02,
    events            boolean     DEFAULT true)
RETURNS TABLE (functionality int, name text, popularity float8, src text, dst text, depth int, optional boolean, bucket_from int, bucket_until int)
AS 'MODULE_PATHNAME', 'informer_synthetic_topology'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 1000;
COMMENT ON FUNCTION @extschema@.informer_synthetic_topology(bigint, int, interval, timestamptz, int, int, int, int, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, boolean)
    IS 'call trees behind informer_synthetic_logs with the same parameters: one row per call (RPC) of each functionality; bucket_from/bucket_until (exclusive) bound calls that appear or are retired';
