#!/usr/bin/env bash
# torch_baseline.sh -- the PyTorch baseline of the DCRNN benchmarks
# (bench/dcrnn_torch.py) runs the same model as the C code: a few training
# steps exported by build/torch_export are replayed in PyTorch and compared
# (test/torch/check.py), with dense and with sparse supports, on the CPU
# and, where torch sees one, on a GPU.
# Skips where no python3 has torch (CI installs none: it is large and only
# the benchmarks use it).
. "$REPO/test/lib/tap.sh"

name="PyTorch baseline equals the C model"
py=""
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import torch' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
    ok "$name # SKIP no python3 with torch (apt-get install python3-torch)"
    exit 0
fi
dir="$WORK/torch_export"
mkdir -p "$dir"
if ! make -s -C "$REPO" build/torch_export >"$dir.log" 2>&1 || ! "$REPO/build/torch_export" "$dir" >>"$dir.log" 2>&1; then
    cat "$dir.log"
    not_ok "$name: build/torch_export writes the C model's steps"
    exit 0
fi
devices=cpu
"$py" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' 2>/dev/null && devices="cpu cuda"
for dev in $devices; do
    for sup in "" --sparse; do
        # a bail-out or a crash prints no "not ok" line of its own
        "$py" "$REPO/test/torch/check.py" "$dir" --device $dev $sup ||
            not_ok "$name ($dev${sup:+ $sup}): check.py exited with $?"
    done
done
