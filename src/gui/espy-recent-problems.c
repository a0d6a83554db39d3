/* espy-recent-problems.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-recent-problems.h"

#include <glib/gi18n.h>

#include "espy-diagnosis.h"
#include "espy-report.h"

struct _EspyRecentProblems {
  AdwBin               parent_instance;

  EspyHistory         *history;
  gulong               changed_id;
  guint                limit;
  AdwPreferencesGroup *group;
  GtkWidget           *empty_row;
  GPtrArray           *rows;      /* AdwActionRow, each with its attempt as data */
};

G_DEFINE_FINAL_TYPE (EspyRecentProblems, espy_recent_problems, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_HISTORY,
  PROP_LIMIT,
  N_PROPS
};

enum {
  ATTEMPT_ACTIVATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
row_activated_cb (AdwActionRow       *row,
                  EspyRecentProblems *self)
{
  EspyInstallAttempt *attempt = g_object_get_data (G_OBJECT (row), "attempt");

  if (attempt == NULL)
    return;
  g_signal_emit (self, signals[ATTEMPT_ACTIVATED], 0, attempt);
  if (attempt->device_name != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.troubleshoot", "s", attempt->device_name);
}

static void
rebuild (EspyRecentProblems *self)
{
  g_autoptr(GPtrArray) problems = NULL;

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);

  problems = self->history != NULL ? espy_history_list_problems (self->history, NULL, self->limit)
                                   : g_ptr_array_new ();
  gtk_widget_set_visible (self->empty_row, problems->len == 0);

  for (guint i = 0; i < problems->len; i++)
    {
      EspyInstallAttempt *a = g_ptr_array_index (problems, i);
      EspyDiagnosisInput input = { a, NULL, espy_history_get_log_lines (self->history, a), NULL, NULL };
      g_autoptr(EspyDiagnosis) d = espy_diagnose (&input);
      g_autofree char *when = espy_report_format_time (a->started);
      g_autofree char *subtitle = g_strdup_printf ("%s — %s", when, d->title);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
      GtkWidget *arrow = gtk_image_new_from_icon_name ("go-next-symbolic");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), a->device_name != NULL ? a->device_name : "?");
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_widget_add_css_class (icon, "warning");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), arrow);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "attempt", espy_install_attempt_ref (a),
                              (GDestroyNotify) espy_install_attempt_unref);
      g_signal_connect (row, "activated", G_CALLBACK (row_activated_cb), self);
      adw_preferences_group_add (self->group, row);
      g_ptr_array_add (self->rows, row);
    }
}

void
espy_recent_problems_set_history (EspyRecentProblems *self,
                                  EspyHistory        *history)
{
  g_return_if_fail (ESPY_IS_RECENT_PROBLEMS (self));

  if (self->history == history)
    return;
  if (self->history != NULL)
    g_clear_signal_handler (&self->changed_id, self->history);
  g_set_object (&self->history, history);
  if (history != NULL)
    self->changed_id = g_signal_connect_swapped (history, "changed", G_CALLBACK (rebuild), self);
  rebuild (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HISTORY]);
}

void
espy_recent_problems_set_limit (EspyRecentProblems *self,
                                guint               limit)
{
  g_return_if_fail (ESPY_IS_RECENT_PROBLEMS (self));

  if (self->limit == limit)
    return;
  self->limit = limit;
  rebuild (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIMIT]);
}

guint
espy_recent_problems_get_n_rows (EspyRecentProblems *self)
{
  g_return_val_if_fail (ESPY_IS_RECENT_PROBLEMS (self), 0);
  return self->rows->len;
}

static void
espy_recent_problems_dispose (GObject *object)
{
  EspyRecentProblems *self = ESPY_RECENT_PROBLEMS (object);

  if (self->history != NULL)
    g_clear_signal_handler (&self->changed_id, self->history);
  g_clear_object (&self->history);
  G_OBJECT_CLASS (espy_recent_problems_parent_class)->dispose (object);
}

static void
espy_recent_problems_finalize (GObject *object)
{
  EspyRecentProblems *self = ESPY_RECENT_PROBLEMS (object);

  g_ptr_array_unref (self->rows);
  G_OBJECT_CLASS (espy_recent_problems_parent_class)->finalize (object);
}

static void
espy_recent_problems_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  EspyRecentProblems *self = ESPY_RECENT_PROBLEMS (object);

  switch (prop_id)
    {
    case PROP_HISTORY:
      g_value_set_object (value, self->history);
      break;
    case PROP_LIMIT:
      g_value_set_uint (value, self->limit);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_recent_problems_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  EspyRecentProblems *self = ESPY_RECENT_PROBLEMS (object);

  switch (prop_id)
    {
    case PROP_HISTORY:
      espy_recent_problems_set_history (self, g_value_get_object (value));
      break;
    case PROP_LIMIT:
      espy_recent_problems_set_limit (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_recent_problems_class_init (EspyRecentProblemsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = espy_recent_problems_dispose;
  object_class->finalize = espy_recent_problems_finalize;
  object_class->get_property = espy_recent_problems_get_property;
  object_class->set_property = espy_recent_problems_set_property;

  properties[PROP_HISTORY] =
    g_param_spec_object ("history", NULL, NULL, ESPY_TYPE_HISTORY,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LIMIT] =
    g_param_spec_uint ("limit", NULL, NULL, 1, 500, 10,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ATTEMPT_ACTIVATED] = g_signal_new ("attempt-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                             0, NULL, NULL, NULL, G_TYPE_NONE, 1, ESPY_TYPE_INSTALL_ATTEMPT);
}

static void
espy_recent_problems_init (EspyRecentProblems *self)
{
  self->limit = 10;
  self->rows = g_ptr_array_new ();
  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->group, _("Recent Problems"));
  self->empty_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->empty_row), _("No failed installs"));
  gtk_widget_add_css_class (self->empty_row, "dim-label");
  adw_preferences_group_add (self->group, self->empty_row);
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->group));
}

GtkWidget *
espy_recent_problems_new (EspyHistory *history)
{
  return g_object_new (ESPY_TYPE_RECENT_PROBLEMS, "history", history, NULL);
}
