/*
 * models.h -- declarations shared by the files that train, store and run
 * models: a pattern's data as the core wants it, the training and
 * inference drivers, model rows, and the device choice.
 */
#ifndef INFORMER_MODELS_H
#define INFORMER_MODELS_H

#include "postgres.h"
#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "backend.h"

/* A pattern's RPCs and source, read as the calling role. */
typedef struct PatternData
{
	int32		pattern_id;
	char	   *source_name;
	int64		width;			/* bucket width, microseconds */
	bool		has_watermark;
	TimestampTz complete_end;	/* start of the bucket holding the watermark */
	int			n_nodes;
	int32	   *rpc_id;			/* ascending */
	int32	   *src;			/* service numbers 0.. */
	int32	   *dst;
} PatternData;

/* pattern_data.c */
extern void informer_pattern_load(int32 pattern_id, bool check_source_read, PatternData *d);
extern double *informer_pattern_counts(const PatternData *d, TimestampTz from, int n_buckets);
extern void informer_pattern_range(const PatternData *d, TimestampTz *from, TimestampTz *to);

/* model_train.c: one pattern's outcome of a list's training */
typedef struct TrainOutcome
{
	int32		pattern_id;
	int64		model_id;		/* 0: no model, failure says why */
	int			epochs;
	int			best_epoch;
	double		best_loss;
	int			group_size;		/* models it trained with, itself included */
	char	   *failure;
} TrainOutcome;
extern TrainOutcome *informer_train_patterns(const int32 *pattern_ids, int k, const char *options,
											int64 job_id, bool grouped);

/* model_infer.c: forecasts stored; range_from/range_to NULL = the next buckets */
extern int64 informer_infer_pattern(int32 pattern_id, const TimestampTz *range_from,
									const TimestampTz *range_to, int64 *model_id);
extern double informer_threshold_sigma;

/* informer.threshold_scope: whose false-alarm rate k sets */
typedef enum InformerThresholdScope
{
	INFORMER_SCOPE_PATTERN,		/* a bucket of the whole pattern */
	INFORMER_SCOPE_RPC			/* each RPC's bucket */
} InformerThresholdScope;
extern int	informer_threshold_scope;
extern int	informer_max_model_memory;
extern void informer_define_model_gucs(void);

/* models.c: rows of informer.models */
extern int64 informer_model_store(int32 pattern_id, const char *config, const char *metrics,
								  bytea *weights, int64 job_id);

/* device.c */
extern int	informer_device;
extern void informer_define_device_gucs(void);
extern const DcrnnBackend *informer_device_choose(char **reason);
extern void informer_device_failed(const char *err);

/* job_train.c, job_infer.c: run options checked in SQL, as jsonb text */
extern char *informer_checked_options(const char *fn, Jsonb *options);
extern void informer_check_patterns_exist(const int32 *ids, int n);

#endif
