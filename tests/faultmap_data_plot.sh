#!/bin/sh
# The fault map as JSON (faultmap --data), drawn by examples/plot_faultmap.py: the drawing
# shows as many faults as the built-in picture reports. Usage: faultmap_data_plot.sh WF DIR
set -eu
wf=$1
dir=$2
built=$("$wf" faultmap scenarios/dram_datacenter_aging.toml --point 2 --trial 1 --at 3.2e7 \
  -o "$dir/map2.png" --data "$dir/map2.json" --overwrite | sed -n 's/.*: \([0-9]*\) faults active.*/\1/p')
drawn=$(/usr/bin/python3 examples/plot_faultmap.py "$dir/map2.json" "$dir/map2_mpl.png" |
  sed -n 's/.*: \([0-9]*\) faults$/\1/p')
echo "built-in picture: $built faults; matplotlib drawing: $drawn faults"
test -n "$built" && test "$built" -gt 0 && test "$built" = "$drawn"
test -s "$dir/map2_mpl.png"
