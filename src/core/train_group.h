/*
 * train_group.h -- which patterns' models train together: the rule that
 * splits a list of trainings (one option set, many patterns) into groups
 * for train_group_run_on, and the host memory one member of a group needs.
 *
 * The members of a group have equal numbers of buckets (hence equal
 * splits) and node counts within TRAIN_GROUP_NODE_FILL of the group's
 * largest, so that padding every graph to the largest N costs at most a
 * quarter more work; a group holds at most TRAIN_GROUP_MAX_SIZE models, and
 * its members' memory (each at the padded N) adds up to at most a limit.
 */
#ifndef INFORMER_TRAIN_GROUP_H
#define INFORMER_TRAIN_GROUP_H

#include <stddef.h>

#include "dcrnn.h"

#define TRAIN_GROUP_MAX_SIZE 64

/* a member's N is at least 4/5 of the group's largest N */
#define TRAIN_GROUP_NODE_FILL_NUM 4
#define TRAIN_GROUP_NODE_FILL_DEN 5

/*
 * Host bytes to train one model of cfg padded to padded_nodes nodes on
 * n_buckets buckets of its own n_nodes' traffic: the network and the
 * traffic (counts, their normalised copy, and the float series).
 */
double		train_group_member_bytes(const DcrnnConfig *cfg, int padded_nodes,
									 int n_buckets, int n_nodes);

/*
 * Splits k trainings into groups.  cfg gives every field but num_nodes;
 * n_buckets[i] and n_nodes[i] describe training i; limit is the most bytes
 * (train_group_member_bytes at the group's largest N, summed) a group may
 * hold, and every training must fit it alone.  Writes a permutation of
 * 0..k-1 into order and the start of each group in it into starts
 * (group g is order[starts[g] .. starts[g + 1] - 1], starts[groups] = k),
 * so starts needs room for k + 1 entries.  Groups come out by ascending
 * n_buckets, each group's members by descending N (then ascending index).
 * Returns the number of groups, or -1 when host memory runs short.
 */
int			train_group_split(const DcrnnConfig *cfg, const int *n_buckets,
							  const int *n_nodes, int k, double limit,
							  int *order, int *starts);

#endif
