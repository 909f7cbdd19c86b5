-- informer install script, part 55: a stand-in for the models and
-- predictions tables of the runtime branch, with exactly the columns agreed
-- for them, so detection builds before that branch is merged.  IF NOT EXISTS
-- makes it a no-op once the real tables (an earlier part) exist; it is
-- removed when the runtime branch is merged.

CREATE TABLE IF NOT EXISTS informer.models (
    model_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pattern_id int4 NOT NULL REFERENCES informer.pattern ON DELETE CASCADE,
    version    int4 NOT NULL,
    config     jsonb NOT NULL DEFAULT '{}',
    metrics    jsonb NOT NULL DEFAULT '{}',
    weights    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    active     boolean NOT NULL DEFAULT false,
    UNIQUE (pattern_id, version)
);
COMMENT ON TABLE informer.models IS 'trained models (stand-in until the runtime branch is merged)';

CREATE TABLE IF NOT EXISTS informer.predictions (
    model_id  bigint NOT NULL REFERENCES informer.models ON DELETE CASCADE,
    rpc_id    int4 NOT NULL,
    bucket    timestamptz NOT NULL,
    step      int4 NOT NULL,
    predicted float8 NOT NULL,
    lower     float8 NOT NULL,
    upper     float8 NOT NULL,
    made_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (model_id, rpc_id, bucket, step)
);
COMMENT ON TABLE informer.predictions IS 'forecasts of the models (stand-in until the runtime branch is merged)';
