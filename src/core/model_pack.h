/*
 * model_pack.h -- a DCRNN model with the statistics it was trained with, to
 * and from the generic model buffer image of model_io.h.
 *
 * The configuration is stored as named integers (the DcrnnConfig field
 * names, batch excepted: that is a property of the caller, not the model);
 * the weights as the model's own named tensors, in buffer order.  Unpacking
 * checks that the image describes exactly the network its configuration
 * builds: every tensor's name and shape, the supports and the statistics.
 */
#ifndef INFORMER_MODEL_PACK_H
#define INFORMER_MODEL_PACK_H

#include "dcrnn.h"
#include "model_io.h"

/*
 * Fill img with copies of net's configuration, supports and weights, the
 * per-node normalisation (norm_mean, norm_std: N each) and, when err_mean
 * and err_std are not NULL, the detection statistics (N x horizon each).
 * img owns its arrays (model_image_free).  Returns 0, or -1 with a message
 * in err.
 */
int			model_pack(const DcrnnModel *net, const double *norm_mean,
					   const double *norm_std, const double *err_mean,
					   const double *err_std, ModelImage *img,
					   char *err, size_t errlen);

/*
 * Build the network img describes, sized for batches of up to batch
 * windows.  A network whose memory (dcrnn_memory_bytes: weights, gradients,
 * supports and the activations of a batch) would exceed max_bytes is
 * refused, with both numbers in the message; 0 means no limit.  Returns
 * NULL with a message in err when img does not describe a network this
 * build can run.
 */
DcrnnModel *model_unpack(const ModelImage *img, int batch, size_t max_bytes,
						 char *err, size_t errlen);

#endif
