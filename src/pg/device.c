/*
 * device.c -- informer.device and the choice of the DCRNN backend a
 * training runs on: the CUDA one when asked for or (auto) usable, else the
 * CPU one, with the reason.  The CUDA module ($libdir/informer_cuda.so) is
 * opened (dcrnn_backend_for) on first use by the process that trains (a
 * job worker or a backend running a synchronous form), never by the
 * postmaster: a CUDA context does not survive fork, and a cluster without
 * CUDA must still load informer.
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

/*
 * The CUDA backend, once per process (NULL when none is usable), and why
 * not.  A training that failed on it clears it for the rest of the process:
 * after a CUDA error the process's CUDA context cannot be trusted.
 */
static bool probed = false;
static const DcrnnBackend *cuda_backend = NULL;
static char cuda_why[256];

void
informer_define_device_gucs(void)
{
	DefineCustomEnumVariable("informer.device",
							 "Device informer trains on: auto, cpu or cuda.",
							 "auto trains on a usable CUDA device, else on the CPU, and records "
							 "why in informer.jobs; forecasts always run on the CPU.",
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
	cuda_backend = dcrnn_backend_for(DCRNN_DEVICE_CUDA, path, cuda_why, sizeof cuda_why);
}

/*
 * The backend a training runs on, and in *reason (palloc'd) why.
 * informer.device = cuda is an error while no CUDA device is usable.
 */
const DcrnnBackend *
informer_device_choose(char **reason)
{
	if (informer_device == INFORMER_DEVICE_CPU)
	{
		*reason = pstrdup("informer.device is cpu");
		return dcrnn_backend_cpu();
	}
	probe_cuda();
	if (cuda_backend)
	{
		*reason = pstrdup(informer_device == INFORMER_DEVICE_CUDA ? "informer.device is cuda" :
						  "informer.device is auto and a CUDA device is usable");
		return cuda_backend;
	}
	if (informer_device == INFORMER_DEVICE_CUDA)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("informer.device is cuda, but no CUDA device is usable"),
				 errdetail("%s.", cuda_why),
				 errhint("Set informer.device to auto or cpu to train on the CPU.")));
	*reason = psprintf("informer.device is auto and %s", cuda_why);
	return dcrnn_backend_cpu();
}

/* After a training failed on the CUDA backend with err: no more CUDA here. */
void
informer_device_failed(const char *err)
{
	probed = true;
	cuda_backend = NULL;
	snprintf(cuda_why, sizeof cuda_why, "the CUDA backend failed earlier in this process: %s", err);
}
