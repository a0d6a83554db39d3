/* espy-rate-plot.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-rate-plot.h"

#include <glib/gi18n.h>

#define MARGIN_LEFT   64
#define MARGIN_BOTTOM 22
#define MARGIN_TOP    8
#define MARGIN_RIGHT  8

typedef struct {
  double t0;    /* seconds since the upload started */
  double t1;
  double rate;  /* bytes/s over [t0, t1] */
} Point;

struct _EspyRatePlot {
  GtkWidget  parent_instance;

  GArray    *points;  /* Point */
  double     peak;
  double     duration;
};

G_DEFINE_FINAL_TYPE (EspyRatePlot, espy_rate_plot, GTK_TYPE_WIDGET)

static void
get_fg (GtkWidget *widget,
        GdkRGBA   *color)
{
#if GTK_CHECK_VERSION (4, 10, 0)
  gtk_widget_get_color (widget, color);
#else
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), color);
#endif
}

/* 1, 2 or 5 times a power of ten, at least VALUE. */
static double
nice_ceiling (double value)
{
  double base = 1, m;

  if (value <= 0)
    return 1;
  /* No libm: find the power of ten by hand. */
  while (base * 10 <= value)
    base *= 10;
  while (base > value)
    base /= 10;
  m = value / base;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * base;
}

static char *
format_rate (double bytes_per_s)
{
  if (bytes_per_s >= 1e6)
    return g_strdup_printf (_("%.1f MB/s"), bytes_per_s / 1e6);
  if (bytes_per_s >= 1e3)
    return g_strdup_printf (_("%.0f kB/s"), bytes_per_s / 1e3);
  return g_strdup_printf (_("%.0f B/s"), bytes_per_s);
}

static void
draw_text (EspyRatePlot *self,
           GtkSnapshot  *snapshot,
           const char   *text,
           float         x,
           float         y,
           float         align_x,   /* 0 left, 0.5 centre, 1 right of X */
           float         align_y,
           const GdkRGBA *color)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x - align_x * w, y - align_y * h));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static void
espy_rate_plot_snapshot (GtkWidget   *widget,
                         GtkSnapshot *snapshot)
{
  EspyRatePlot *self = ESPY_RATE_PLOT (widget);
  float width = gtk_widget_get_width (widget);
  float height = gtk_widget_get_height (widget);
  float plot_w = width - MARGIN_LEFT - MARGIN_RIGHT;
  float plot_h = height - MARGIN_TOP - MARGIN_BOTTOM;
  GdkRGBA fg, dim, grid, bar = { 0.208f, 0.518f, 0.894f, 0.85f };  /* the GNOME accent blue */
  double top, duration;

  if (plot_w <= 10 || plot_h <= 10)
    return;

  get_fg (widget, &fg);
  dim = fg;
  dim.alpha *= 0.55f;
  grid = fg;
  grid.alpha *= 0.15f;

  if (self->points->len == 0 || self->peak <= 0)
    {
      draw_text (self, snapshot, _("No upload data"), width / 2, height / 2, 0.5f, 0.5f, &dim);
      return;
    }

  top = nice_ceiling (self->peak);
  duration = MAX (self->duration, 0.001);

  /* Grid and rate labels at 0, ½ and the top. */
  for (int i = 0; i <= 2; i++)
    {
      float y = MARGIN_TOP + plot_h * (1.0f - i / 2.0f);
      g_autofree char *label = format_rate (top * i / 2.0);

      gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (MARGIN_LEFT, y, plot_w, 1));
      draw_text (self, snapshot, label, MARGIN_LEFT - 6, y, 1.0f, 0.5f, &dim);
    }

  /* One bar per interval between samples. */
  for (guint i = 0; i < self->points->len; i++)
    {
      const Point *p = &g_array_index (self->points, Point, i);
      float x0 = MARGIN_LEFT + plot_w * (float) (p->t0 / duration);
      float x1 = MARGIN_LEFT + plot_w * (float) (p->t1 / duration);
      float h = plot_h * (float) (p->rate / top);

      /* A gap of one pixel between bars, unless they are too thin for it. */
      if (x1 - x0 > 3)
        x1 -= 1;
      gtk_snapshot_append_color (snapshot, &bar,
                                 &GRAPHENE_RECT_INIT (x0, MARGIN_TOP + plot_h - h, MAX (x1 - x0, 1), h));
    }

  /* Time axis. */
  {
    g_autofree char *end = g_strdup_printf (_("%.1f s"), duration);

    draw_text (self, snapshot, _("0 s"), MARGIN_LEFT, height - MARGIN_BOTTOM + 4, 0.0f, 0.0f, &dim);
    draw_text (self, snapshot, end, width - MARGIN_RIGHT, height - MARGIN_BOTTOM + 4, 1.0f, 0.0f, &dim);
  }
}

static void
espy_rate_plot_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 200;
      *natural = 400;
    }
  else
    {
      *minimum = 120;
      *natural = 150;
    }
}

static void
espy_rate_plot_finalize (GObject *object)
{
  EspyRatePlot *self = ESPY_RATE_PLOT (object);

  g_array_unref (self->points);
  G_OBJECT_CLASS (espy_rate_plot_parent_class)->finalize (object);
}

static void
espy_rate_plot_class_init (EspyRatePlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = espy_rate_plot_finalize;
  widget_class->snapshot = espy_rate_plot_snapshot;
  widget_class->measure = espy_rate_plot_measure;
  gtk_widget_class_set_css_name (widget_class, "rateplot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
espy_rate_plot_init (EspyRatePlot *self)
{
  self->points = g_array_new (FALSE, FALSE, sizeof (Point));
}

GtkWidget *
espy_rate_plot_new (void)
{
  return g_object_new (ESPY_TYPE_RATE_PLOT, NULL);
}

void
espy_rate_plot_set_attempt (EspyRatePlot             *self,
                            const EspyInstallAttempt *attempt)
{
  g_autofree char *description = NULL;

  g_return_if_fail (ESPY_IS_RATE_PLOT (self));

  g_array_set_size (self->points, 0);
  self->peak = 0;
  self->duration = 0;

  for (guint i = 1; attempt != NULL && attempt->rate_samples != NULL && i < attempt->rate_samples->len; i++)
    {
      const EspyInstallRateSample *a = &g_array_index (attempt->rate_samples, EspyInstallRateSample, i - 1);
      const EspyInstallRateSample *b = &g_array_index (attempt->rate_samples, EspyInstallRateSample, i);
      Point p;

      if (b->elapsed_ms <= a->elapsed_ms)
        continue;
      p.t0 = a->elapsed_ms / 1000.0;
      p.t1 = b->elapsed_ms / 1000.0;
      /* Acknowledged bytes: what the device really took (v1 has sent == acked). */
      p.rate = b->acked >= a->acked ? (double) (b->acked - a->acked) / (p.t1 - p.t0) : 0;
      g_array_append_val (self->points, p);
      self->peak = MAX (self->peak, p.rate);
      self->duration = MAX (self->duration, p.t1);
    }

  if (self->points->len > 0)
    {
      g_autofree char *peak = format_rate (self->peak);

      description = g_strdup_printf (_("Upload rate over %.1f s, peak %s"), self->duration, peak);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  description != NULL ? description : _("No upload data"), -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
espy_rate_plot_get_n_points (EspyRatePlot *self)
{
  g_return_val_if_fail (ESPY_IS_RATE_PLOT (self), 0);
  return self->points->len;
}

double
espy_rate_plot_get_peak (EspyRatePlot *self)
{
  g_return_val_if_fail (ESPY_IS_RATE_PLOT (self), 0);
  return self->peak;
}
