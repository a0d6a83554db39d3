/* espy-sim-private.h: helpers shared by the simulator's own files.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* espy_sim_image_parse_marker() on raw bytes. */
gboolean espy_sim_image_parse_marker_data (const guint8  *data,
                                           gsize          len,
                                           char         **version,
                                           char         **compilation_time);

/* "Nov  5 2026, 16:40:12": what __DATE__ ", " __TIME__ gives on a device. */
char    *espy_sim_compilation_time_now    (void);

G_END_DECLS
