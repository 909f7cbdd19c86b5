/*
 * device.c -- informer.device and the choice of the device a job trains
 * on.  The CUDA module ($libdir/informer_cuda.so) is opened (dcrnn_backend_for) on
 * first use by the process that trains (a job worker or a backend running
 * a synchronous form), never by the postmaster: a CUDA context does not
 * survive fork, and a cluster without CUDA must still load informer.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/guc.h"

#include "backend.h"
#include "informer.h"
#include "models.h"

typedef enum InformerDevice
{
	INFORMER_DEVICE_AUTO,
	INFORMER_DEVICE_CPU,
	INFORMER_DEVICE_CUDA
} InformerDevice;

static const struct config_enum_entry device_options[] = {
	{"auto", INFORMER_DEVICE_AUTO, false},
	{"cpu", INFORMER_DEVICE_CPU, false},
	{"cuda", INFORMER_DEVICE_CUDA, false},
	{NULL, 0, false}
};

int			informer_device = INFORMER_DEVICE_AUTO;

/* the CUDA module's answer, once per process: usable or not, and why not */
static bool probed = false;
static bool cuda_usable = false;
static char cuda_why[256];

void
informer_define_device_gucs(void)
{
	DefineCustomEnumVariable("informer.device",
							 "Device informer trains and forecasts on: auto, cpu or cuda.",
							 "auto uses a usable CUDA device when the CUDA backend can run the job, "
							 "else the CPU, and records why in informer.jobs.",
							 &informer_device, INFORMER_DEVICE_AUTO, device_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
}

static void
probe_cuda(void)
{
	char		path[MAXPGPATH];

	if (probed)
		return;
	probed = true;
	snprintf(path, sizeof path, "%s/informer_cuda%s", pkglib_path, DLSUFFIX);
	cuda_usable = dcrnn_backend_for(DCRNN_DEVICE_CUDA, path,
									cuda_why, sizeof cuda_why) != NULL;
}

/*
 * The device a job runs on ("cpu": the only backend of the DCRNN so far)
 * and, in *reason (palloc'd), why.  informer.device = cuda is an error
 * while no CUDA device and backend can run the job.
 */
const char *
informer_device_choose(char **reason)
{
	if (informer_device == INFORMER_DEVICE_CPU)
	{
		*reason = pstrdup("informer.device is cpu");
		return "cpu";
	}
	probe_cuda();
	if (!cuda_usable)
	{
		if (informer_device == INFORMER_DEVICE_CUDA)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("informer.device is cuda, but no CUDA device is usable"),
					 errdetail("%s.", cuda_why),
					 errhint("Set informer.device to auto or cpu to train on the CPU.")));
		*reason = psprintf("informer.device is auto and %s", cuda_why);
		return "cpu";
	}
	if (informer_device == INFORMER_DEVICE_CUDA)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("informer.device is cuda, but this build of informer has no CUDA backend for the DCRNN"),
				 errdetail("A CUDA device is usable, but jobs do not train through the CUDA backend yet."),
				 errhint("Set informer.device to auto or cpu to train on the CPU.")));
	*reason = pstrdup("informer.device is auto and a CUDA device is usable, "
					  "but jobs do not train through the CUDA backend yet");
	return "cpu";
}
