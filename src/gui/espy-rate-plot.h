/* espy-rate-plot.h: upload rate over time of one install attempt, drawn
 * with GtkSnapshot (one bar per sample interval, a grid and axis labels).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "espy-install-attempt.h"

G_BEGIN_DECLS

#define ESPY_TYPE_RATE_PLOT (espy_rate_plot_get_type ())
G_DECLARE_FINAL_TYPE (EspyRatePlot, espy_rate_plot, ESPY, RATE_PLOT, GtkWidget)

GtkWidget *espy_rate_plot_new          (void);
/* Takes the attempt's rate samples (copied); NULL clears the plot. */
void       espy_rate_plot_set_attempt  (EspyRatePlot             *self,
                                        const EspyInstallAttempt *attempt);
/* Number of rate points plotted (sample intervals), for tests. */
guint      espy_rate_plot_get_n_points (EspyRatePlot             *self);
/* Highest rate plotted, bytes/s. */
double     espy_rate_plot_get_peak     (EspyRatePlot             *self);

G_END_DECLS
