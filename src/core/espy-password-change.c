/* espy-password-change.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-password-change.h"

#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>

#include "espy-build-runner.h"
#include "espy-device-store.h"
#include "espy-firmware-image.h"
#include "espy-install-job.h"
#include "espy-ota-client.h"
#include "espy-ota-error.h"
#include "espy-secret-string.h"
#include "espy-secrets.h"
#include "espy-web-ota-client.h"
#include "espy-yaml-editor.h"

#define DEFAULT_REBOOT_TIMEOUT_MS 60000
#define VERIFY_RETRY_MS           500
#define CHECK_TIMEOUT_MS          10000

G_DEFINE_QUARK (espy-password-error-quark, espy_password_error)

/* One device of the run. */
typedef struct {
  char                *name;
  EspyDeviceConfig    *config;
  char                *host;
  guint16              port;
  char                *current;        /* secret; NULL = none */
  EspyPasswordStep     step;
  EspyPasswordStep     failed_step;
  EspyPasswordExpects  expects;
  gboolean             uploaded;
  gboolean             new_accepted;
  gboolean             old_refused;
  GError              *error;
  EspyFirmwareImage   *image;
} Target;

struct _EspyPasswordChange
{
  GObject             parent_instance;

  EspyDeviceConfig   *config;
  EspyPasswordFlow    flow;
  EspyPasswordShared  shared;
  EspyConfigFolder   *folder;
  char               *host;
  guint16             port;
  guint16             web_port;
  guint               reboot_timeout_ms;
  gboolean            use_keyring;

  char               *current;        /* secrets */
  char               *new_password;
  gboolean            current_set;

  /* The plan (prepare). */
  gboolean            prepared;
  EspyYamlEditor     *editor;
  GStrv               shared_devices;
  GPtrArray          *targets;        /* Target */

  /* The run. */
  GTask              *task;
  gboolean            running;
  gboolean            rolled_back;
  guint               index;
  gint64              verify_deadline;
  guint               wait_id;
  EspyOtaClient      *check_client;
  EspyInstallJob     *job;
  EspyDeviceStore    *store;
  GError             *keyring_error;
};

G_DEFINE_FINAL_TYPE (EspyPasswordChange, espy_password_change, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_FLOW,
  PROP_CONFIG,
  PROP_STEP,
  PROP_RUNNING,
  N_PROPS
};

enum {
  SIGNAL_PROGRESS,
  SIGNAL_UPLOAD_PROGRESS,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---- Names ------------------------------------------------------------ */

static const char *flow_nicks[] = { "change", "add", "remove", "recover", "apply" };

const char *
espy_password_flow_to_nick (EspyPasswordFlow flow)
{
  g_return_val_if_fail (flow < G_N_ELEMENTS (flow_nicks), NULL);
  return flow_nicks[flow];
}

gboolean
espy_password_flow_from_nick (const char       *nick,
                              EspyPasswordFlow *flow)
{
  for (guint i = 0; i < G_N_ELEMENTS (flow_nicks); i++)
    if (g_strcmp0 (nick, flow_nicks[i]) == 0)
      {
        *flow = (EspyPasswordFlow) i;
        return TRUE;
      }
  return FALSE;
}

const char *
espy_password_step_to_nick (EspyPasswordStep step)
{
  switch (step)
    {
    case ESPY_PASSWORD_STEP_PENDING: return "pending";
    case ESPY_PASSWORD_STEP_CHECK: return "check";
    case ESPY_PASSWORD_STEP_EDIT: return "edit";
    case ESPY_PASSWORD_STEP_BUILD: return "build";
    case ESPY_PASSWORD_STEP_UPLOAD: return "upload";
    case ESPY_PASSWORD_STEP_REBOOT: return "reboot";
    case ESPY_PASSWORD_STEP_VERIFY: return "verify";
    case ESPY_PASSWORD_STEP_STORE: return "store";
    case ESPY_PASSWORD_STEP_DONE: return "done";
    case ESPY_PASSWORD_STEP_FAILED: return "failed";
    default: return "unknown";
    }
}

const char *
espy_password_step_describe (EspyPasswordStep step)
{
  switch (step)
    {
    case ESPY_PASSWORD_STEP_PENDING: return _("Waiting");
    case ESPY_PASSWORD_STEP_CHECK: return _("Checking the current password");
    case ESPY_PASSWORD_STEP_EDIT: return _("Changing the configuration");
    case ESPY_PASSWORD_STEP_BUILD: return _("Building the firmware");
    case ESPY_PASSWORD_STEP_UPLOAD: return _("Installing with the current password");
    case ESPY_PASSWORD_STEP_REBOOT: return _("Waiting for the device to restart");
    case ESPY_PASSWORD_STEP_VERIFY: return _("Verifying the new password");
    case ESPY_PASSWORD_STEP_STORE: return _("Saving the password in the keyring");
    case ESPY_PASSWORD_STEP_DONE: return _("Done");
    case ESPY_PASSWORD_STEP_FAILED: return _("Failed");
    default: return "";
    }
}

const char *
espy_password_expects_to_nick (EspyPasswordExpects expects)
{
  switch (expects)
    {
    case ESPY_PASSWORD_EXPECTS_OLD: return "old";
    case ESPY_PASSWORD_EXPECTS_NEW: return "new";
    case ESPY_PASSWORD_EXPECTS_UNKNOWN:
    default:
      return "unknown";
    }
}

/* ---- Small helpers ---------------------------------------------------- */

static void
target_free (gpointer data)
{
  Target *t = data;

  g_free (t->name);
  g_clear_object (&t->config);
  g_free (t->host);
  espy_secret_free (t->current);
  g_clear_error (&t->error);
  g_clear_object (&t->image);
  g_free (t);
}

static Target *
target (EspyPasswordChange *self,
        guint               index)
{
  return g_ptr_array_index (self->targets, index);
}

static const char *
config_password (EspyDeviceConfig *config)
{
  const EspyConfigOta *ota = espy_device_config_find_ota (config, "esphome");

  return ota != NULL && ota->password != NULL && ota->password[0] != '\0' ? ota->password : NULL;
}

static gboolean
has_web_ota (EspyDeviceConfig *config)
{
  return espy_device_config_find_ota (config, "web_server") != NULL
         || (espy_device_config_has_web_server (config) && espy_device_config_get_web_server_ota (config));
}

static void
set_step (EspyPasswordChange *self,
          guint               index,
          EspyPasswordStep    step,
          const char         *text)
{
  Target *t = target (self, index);

  t->step = step;
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, index, step,
                 text != NULL ? text : espy_password_step_describe (step));
  if (index == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STEP]);
}

/* ---- GObject ---------------------------------------------------------- */

static void
espy_password_change_dispose (GObject *object)
{
  EspyPasswordChange *self = (EspyPasswordChange *) object;

  g_clear_handle_id (&self->wait_id, g_source_remove);
  g_clear_object (&self->check_client);
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (espy_password_change_parent_class)->dispose (object);
}

static void
espy_password_change_finalize (GObject *object)
{
  EspyPasswordChange *self = (EspyPasswordChange *) object;

  g_clear_object (&self->config);
  g_clear_object (&self->folder);
  g_free (self->host);
  espy_secret_free (self->current);
  espy_secret_free (self->new_password);
  g_clear_object (&self->editor);
  g_strfreev (self->shared_devices);
  g_clear_pointer (&self->targets, g_ptr_array_unref);
  g_clear_error (&self->keyring_error);
  G_OBJECT_CLASS (espy_password_change_parent_class)->finalize (object);
}

static void
espy_password_change_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  EspyPasswordChange *self = ESPY_PASSWORD_CHANGE (object);

  switch (prop_id)
    {
    case PROP_FLOW:
      g_value_set_int (value, self->flow);
      break;
    case PROP_CONFIG:
      g_value_set_object (value, self->config);
      break;
    case PROP_STEP:
      g_value_set_int (value, self->targets->len > 0 ? target (self, 0)->step : ESPY_PASSWORD_STEP_PENDING);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_password_change_class_init (EspyPasswordChangeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = espy_password_change_dispose;
  object_class->finalize = espy_password_change_finalize;
  object_class->get_property = espy_password_change_get_property;

  properties[PROP_FLOW] =
    g_param_spec_int ("flow", NULL, NULL, 0, ESPY_PASSWORD_FLOW_APPLY, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONFIG] =
    g_param_spec_object ("config", NULL, NULL, ESPY_TYPE_DEVICE_CONFIG,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STEP] =
    g_param_spec_int ("step", NULL, NULL, 0, ESPY_PASSWORD_STEP_FAILED, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_INT, G_TYPE_STRING);
  signals[SIGNAL_UPLOAD_PROGRESS] =
    g_signal_new ("upload-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_DOUBLE);
}

static void
espy_password_change_init (EspyPasswordChange *self)
{
  self->reboot_timeout_ms = DEFAULT_REBOOT_TIMEOUT_MS;
  self->use_keyring = TRUE;
  self->targets = g_ptr_array_new_with_free_func (target_free);
}

EspyPasswordChange *
espy_password_change_new (EspyDeviceConfig *config,
                          EspyPasswordFlow  flow)
{
  EspyPasswordChange *self;

  g_return_val_if_fail (ESPY_IS_DEVICE_CONFIG (config), NULL);
  g_return_val_if_fail (flow <= ESPY_PASSWORD_FLOW_APPLY, NULL);

  self = g_object_new (ESPY_TYPE_PASSWORD_CHANGE, NULL);
  self->config = g_object_ref (config);
  self->flow = flow;
  return self;
}

EspyPasswordFlow
espy_password_change_get_flow (EspyPasswordChange *self)
{
  g_return_val_if_fail (ESPY_IS_PASSWORD_CHANGE (self), 0);
  return self->flow;
}

EspyDeviceConfig *
espy_password_change_get_config (EspyPasswordChange *self)
{
  g_return_val_if_fail (ESPY_IS_PASSWORD_CHANGE (self), NULL);
  return self->config;
}

void
espy_password_change_set_current_password (EspyPasswordChange *self,
                                           const char         *password)
{
  g_return_if_fail (ESPY_IS_PASSWORD_CHANGE (self));
  espy_secret_string_set_non_empty (&self->current, password);
  self->current_set = password != NULL;
}

void
espy_password_change_set_new_password (EspyPasswordChange *self,
                                       const char         *password)
{
  g_return_if_fail (ESPY_IS_PASSWORD_CHANGE (self));
  /* Kept as given: "" is refused by prepare for Change and Add. */
  espy_secret_string_set (&self->new_password, password);
  self->prepared = FALSE;
}

void
espy_password_change_set_shared (EspyPasswordChange *self,
                                 EspyPasswordShared  shared)
{
  g_return_if_fail (ESPY_IS_PASSWORD_CHANGE (self));
  self->shared = shared;
  self->prepared = FALSE;
}

EspyPasswordShared
espy_password_change_get_shared (EspyPasswordChange *self)
{
  g_return_val_if_fail (ESPY_IS_PASSWORD_CHANGE (self), 0);
  return self->shared;
}

void
espy_password_change_set_folder (EspyPasswordChange *self,
                                 EspyConfigFolder   *folder)
{
  g_return_if_fail (ESPY_IS_PASSWORD_CHANGE (self));
  g_set_object (&self->folder, folder);
}

void
espy_password_change_set_host (EspyPasswordChange *self,
                               const char         *host)
{
  g_return_if_fail (ESPY_IS_PASSWORD_CHANGE (self));
  g_free (self->host);
  self->host = host != NULL && host[0] != '\0' ? g_strdup (host) : NULL;
}

void
espy_password_change_set_port (EspyPasswordChange *self,
                               guint16             port)
{
  g_return_if_fail (ESPY_IS_PASSWORD_CHANGE (self));
  self->port = port;
}

void
espy_password_change_set_web_port (EspyPasswordChange *self,
                                   guint16             port)
{
  g_return_if_fail (ESPY_IS_PASSWORD_CHANGE (self));
  self->web_port = port;
}

void
espy_password_change_set_reboot_timeout (EspyPasswordChange *self,
                                         guint               timeout_ms)
{
  g_return_if_fail (ESPY_IS_PASSWORD_CHANGE (self));
  self->reboot_timeout_ms = timeout_ms;
}

void
espy_password_change_set_use_keyring (EspyPasswordChange *self,
                                      gboolean            use_keyring)
{
  g_return_if_fail (ESPY_IS_PASSWORD_CHANGE (self));
  self->use_keyring = use_keyring;
}

/* ---- Prepare ---------------------------------------------------------- */

/* What the worker thread gets and gives back; the object is not touched there. */
typedef struct {
  EspyDeviceConfig   *config;
  EspyPasswordFlow    flow;
  EspyPasswordShared  shared;
  char               *new_password;   /* secret; NULL = none */
  GPtrArray          *others;         /* EspyDeviceConfig of the folder, not @config */
  /* Out. */
  EspyYamlEditor     *editor;
  GPtrArray          *users;          /* EspyDeviceConfig sharing the definition */
} Plan;

static void
plan_free (Plan *plan)
{
  g_clear_object (&plan->config);
  espy_secret_free (plan->new_password);
  g_clear_pointer (&plan->others, g_ptr_array_unref);
  g_clear_object (&plan->editor);
  g_clear_pointer (&plan->users, g_ptr_array_unref);
  g_free (plan);
}

static gboolean
same_path (const char *a,
           const char *b)
{
  g_autofree char *ca = NULL;
  g_autofree char *cb = NULL;

  if (a == NULL || b == NULL)
    return FALSE;
  ca = g_canonicalize_filename (a, NULL);
  cb = g_canonicalize_filename (b, NULL);
  return strcmp (ca, cb) == 0;
}

static char *
config_path (EspyDeviceConfig *config)
{
  return g_file_get_path (espy_device_config_get_file (config));
}

static gboolean
includes_file (EspyDeviceConfig *config,
               const char       *path)
{
  const char * const *files = espy_device_config_get_included_files (config);
  g_autofree char *own = config_path (config);

  if (same_path (own, path))
    return TRUE;
  for (guint i = 0; files != NULL && files[i] != NULL; i++)
    if (same_path (files[i], path))
      return TRUE;
  return FALSE;
}

/* Does OTHER's password come from the same written place as LOC's? */
static gboolean
same_definition (const EspyConfigLocation *loc,
                 EspyDeviceConfig         *other)
{
  const EspyConfigOta *ota = espy_device_config_find_ota (other, "esphome");
  const EspyConfigLocation *o = ota != NULL ? ota->password_location : NULL;

  if (loc == NULL || o == NULL)
    return FALSE;
  if (loc->secret_name != NULL || o->secret_name != NULL)
    return loc->secret_name != NULL && o->secret_name != NULL
           && strcmp (loc->secret_name, o->secret_name) == 0
           && same_path (loc->secret_path, o->secret_path);
  return same_path (loc->path, o->path) && loc->line == o->line && loc->column == o->column;
}

static gboolean
is_secrets_file (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);

  return strcmp (base, "secrets.yaml") == 0 || strcmp (base, "secrets.yml") == 0;
}

static char *
own_secret_name (const char *secrets_path,
                 const char *base,
                 const char *node_name)
{
  g_autoptr(GString) name = g_string_new (NULL);
  g_autofree char *candidate = NULL;

  g_string_append_printf (name, "%s_%s", base, node_name);
  for (gsize i = 0; i < name->len; i++)
    if (!g_ascii_isalnum (name->str[i]) && name->str[i] != '_')
      name->str[i] = '_';
  candidate = g_strdup (name->str);
  for (guint n = 2; espy_yaml_editor_has_secret (secrets_path, candidate, NULL); n++)
    {
      g_free (candidate);
      candidate = g_strdup_printf ("%s_%u", name->str, n);
    }
  return g_steal_pointer (&candidate);
}

static gboolean
wrap_edit_error (GError  *edit_error,
                 GError **error)
{
  if (g_error_matches (edit_error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_EDITABLE)
      || g_error_matches (edit_error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_REMOTE))
    g_set_error_literal (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_NOT_EDITABLE, edit_error->message);
  else
    g_propagate_error (error, g_error_copy (edit_error));
  g_error_free (edit_error);
  return FALSE;
}

static gboolean
no_ota_error (EspyDeviceConfig  *config,
              GError           **error)
{
  const char * const *remote = espy_device_config_get_remote_packages (config);

  if (remote != NULL && remote[0] != NULL)
    g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_NOT_EDITABLE,
                 _("The native OTA settings of %s may come from a remote package (%s), which Espy cannot "
                   "edit. Copy its “ota:” block into your configuration, then try again."),
                 espy_device_config_get_file_name (config), remote[0]);
  else
    g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_NO_OTA,
                 _("%s has no “ota: - platform: esphome” entry, so the device cannot be updated "
                   "over the air with a password. Add the entry first."),
                 espy_device_config_get_file_name (config));
  return FALSE;
}

static gboolean
plan_edit (Plan    *plan,
           GError **error)
{
  const EspyConfigOta *ota = espy_device_config_find_ota (plan->config, "esphome");
  const EspyConfigLocation *loc = ota != NULL ? ota->password_location : NULL;
  g_autofree char *own = config_path (plan->config);
  gboolean has_password = config_password (plan->config) != NULL;
  GError *edit_error = NULL;
  gboolean want_new = plan->new_password != NULL;

  plan->editor = espy_yaml_editor_new ();
  plan->users = g_ptr_array_new_with_free_func (g_object_unref);

  if (ota == NULL)
    return no_ota_error (plan->config, error);

  if (plan->flow == ESPY_PASSWORD_FLOW_APPLY || (plan->flow == ESPY_PASSWORD_FLOW_RECOVER && !want_new && !has_password))
    return TRUE;  /* the YAML already says what the device must get */

  /* Who else uses the definition this flow edits. */
  if (loc != NULL)
    for (guint i = 0; i < plan->others->len; i++)
      {
        EspyDeviceConfig *other = g_ptr_array_index (plan->others, i);

        if (same_definition (loc, other))
          g_ptr_array_add (plan->users, g_object_ref (other));
      }

  if (!has_password && want_new)
    {
      g_autoptr(GPtrArray) paths = g_ptr_array_new ();
      const char * const *files = espy_device_config_get_included_files (plan->config);
      g_autofree char *edited = NULL;

      g_ptr_array_add (paths, own);
      for (guint i = 0; files != NULL && files[i] != NULL; i++)
        if (!is_secrets_file (files[i]))
          g_ptr_array_add (paths, (gpointer) files[i]);
      g_ptr_array_add (paths, NULL);
      if (!espy_yaml_editor_insert_ota_password (plan->editor, (const char * const *) paths->pdata,
                                                 plan->new_password, &edited, &edit_error))
        return wrap_edit_error (edit_error, error);
      if (!same_path (edited, own))
        for (guint i = 0; i < plan->others->len; i++)
          if (includes_file (g_ptr_array_index (plan->others, i), edited))
            g_ptr_array_add (plan->users, g_object_ref (g_ptr_array_index (plan->others, i)));
      if (plan->users->len > 0 && plan->shared == ESPY_PASSWORD_SHARED_OWN_SECRET)
        {
          g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_NOT_EDITABLE,
                       _("The OTA entry is in %s, which other devices include: a password added there "
                         "applies to all of them. Change them all, or move the “ota:” block into "
                         "this device's file."), edited);
          return FALSE;
        }
      return TRUE;
    }

  if (loc == NULL)
    return TRUE;
  if (loc->derived)
    {
      g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_NOT_EDITABLE,
                   _("%s:%u: the password is assembled from several values (substitutions or "
                     "environment variables), so Espy cannot change it in one place. Write it as one "
                     "value or a !secret, then try again."), loc->path, loc->line);
      return FALSE;
    }

  if (!want_new)
    {
      /* Remove: the "password:" line that uses it, never the definition. */
      if (loc->substitution != NULL)
        {
          g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_NOT_EDITABLE,
                       _("The password comes from the substitution “${%s}”. Remove the "
                         "“password:” line that uses it by hand."), loc->substitution);
          return FALSE;
        }
      g_ptr_array_set_size (plan->users, 0);
      if (!same_path (loc->path, own))
        for (guint i = 0; i < plan->others->len; i++)
          if (includes_file (g_ptr_array_index (plan->others, i), loc->path))
            g_ptr_array_add (plan->users, g_object_ref (g_ptr_array_index (plan->others, i)));
      if (plan->users->len > 0 && plan->shared == ESPY_PASSWORD_SHARED_OWN_SECRET)
        {
          g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_NOT_EDITABLE,
                       _("The password is set in %s, which other devices include. Remove it for all of "
                         "them, or move the “ota:” block into this device's file."), loc->path);
          return FALSE;
        }
      if (!espy_yaml_editor_remove_pair (plan->editor, loc->path, loc->line, loc->column, &edit_error))
        return wrap_edit_error (edit_error, error);
      return TRUE;
    }

  if (plan->users->len > 0 && plan->shared == ESPY_PASSWORD_SHARED_OWN_SECRET)
    {
      g_autofree char *name = NULL;

      if (loc->secret_name == NULL || !same_path (loc->path, own))
        {
          g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_NOT_EDITABLE,
                       _("The password is written in %s, which other devices use too; this device can "
                         "get its own secret only when its own file says “password: !secret …”. "
                         "Change it for all of them instead."), loc->path);
          return FALSE;
        }
      name = own_secret_name (loc->secret_path, loc->secret_name, espy_device_config_get_name (plan->config));
      if (!espy_yaml_editor_set_scalar (plan->editor, loc->path, loc->line, loc->column, "!secret", name,
                                        &edit_error)
          || !espy_yaml_editor_add_secret (plan->editor, loc->secret_path, name, plan->new_password,
                                           &edit_error))
        return wrap_edit_error (edit_error, error);
      g_ptr_array_set_size (plan->users, 0);
      return TRUE;
    }

  if (loc->secret_name != NULL)
    {
      if (!espy_yaml_editor_set_scalar (plan->editor, loc->secret_path, loc->secret_line, loc->secret_column,
                                        NULL, plan->new_password, &edit_error))
        return wrap_edit_error (edit_error, error);
    }
  else if (!espy_yaml_editor_set_scalar (plan->editor, loc->path, loc->line, loc->column, NULL,
                                         plan->new_password, &edit_error))
    return wrap_edit_error (edit_error, error);
  return TRUE;
}

static void
plan_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Plan *plan = task_data;
  GError *error = NULL;

  if (plan_edit (plan, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
validate (EspyPasswordChange  *self,
          GError             **error)
{
  const char *yaml_password = config_password (self->config);
  const char *current = self->current_set ? self->current : yaml_password;

  if (espy_device_config_find_ota (self->config, "esphome") == NULL)
    return no_ota_error (self->config, error);
  switch (self->flow)
    {
    case ESPY_PASSWORD_FLOW_CHANGE:
    case ESPY_PASSWORD_FLOW_ADD:
      if (self->new_password == NULL || self->new_password[0] == '\0')
        {
          g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID,
                       _("Enter the new password. To remove the password, choose “Remove” instead."));
          return FALSE;
        }
      if (self->flow == ESPY_PASSWORD_FLOW_ADD && yaml_password != NULL)
        {
          g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_HAS_PASSWORD,
                       _("%s already sets an OTA password. Choose “Change” to replace it."),
                       espy_device_config_get_file_name (self->config));
          return FALSE;
        }
      if (self->flow == ESPY_PASSWORD_FLOW_CHANGE && yaml_password == NULL)
        {
          g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID,
                       _("%s sets no OTA password. Choose “Add” to set one."),
                       espy_device_config_get_file_name (self->config));
          return FALSE;
        }
      if (self->flow == ESPY_PASSWORD_FLOW_CHANGE && g_strcmp0 (current, self->new_password) == 0)
        {
          g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID,
                       _("The new password is the same as the current one. Choose a different one."));
          return FALSE;
        }
      break;
    case ESPY_PASSWORD_FLOW_REMOVE:
      if (yaml_password == NULL)
        {
          g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID,
                       _("%s sets no OTA password: there is nothing to remove."),
                       espy_device_config_get_file_name (self->config));
          return FALSE;
        }
      break;
    case ESPY_PASSWORD_FLOW_APPLY:
      if (!self->current_set)
        {
          g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID,
                       _("Enter the password the device accepts now (the one it was last installed with)."));
          return FALSE;
        }
      if (g_strcmp0 (self->current, yaml_password) == 0)
        {
          g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID,
                       _("That is the password already in the configuration. If the device rejects it, "
                         "it expects another one: enter that one."));
          return FALSE;
        }
      break;
    case ESPY_PASSWORD_FLOW_RECOVER:
      if (!has_web_ota (self->config))
        {
          g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_SERIAL_ONLY,
                       _("%s has no web server OTA, so only a serial flash can recover it: the device "
                         "accepts firmware over the air only from someone who proves they know its "
                         "current password, and nothing else on it can receive an image. Connect it by "
                         "USB and install with “esphome run %s” (or ESPHome Web); the new password "
                         "applies from then on."),
                       espy_device_config_get_name (self->config),
                       espy_device_config_get_file_name (self->config));
          return FALSE;
        }
      break;
    default:
      g_assert_not_reached ();
    }
  if (self->new_password != NULL && !g_utf8_validate (self->new_password, -1, NULL))
    {
      g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID,
                   _("The new password is not valid text (UTF-8)."));
      return FALSE;
    }
  /* ESPHome substitutes $name and ${name} everywhere, quoted or not: the
   * firmware would be built with another password than the one typed. */
  if (self->new_password != NULL && strchr (self->new_password, '$') != NULL)
    {
      g_set_error (error, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_INVALID,
                   _("The new password contains “$”, which ESPHome reads as a substitution "
                     "($name or ${name}) and replaces when it builds, so the device would get a "
                     "different password. Choose a password without “$”."));
      return FALSE;
    }
  return TRUE;
}

static const char *
effective_new (EspyPasswordChange *self)
{
  switch (self->flow)
    {
    case ESPY_PASSWORD_FLOW_REMOVE:
      return NULL;
    case ESPY_PASSWORD_FLOW_APPLY:
      return config_password (self->config);
    case ESPY_PASSWORD_FLOW_CHANGE:
    case ESPY_PASSWORD_FLOW_ADD:
    case ESPY_PASSWORD_FLOW_RECOVER:
    default:
      return self->new_password != NULL && self->new_password[0] != '\0' ? self->new_password : NULL;
    }
}

static const char *
effective_current (EspyPasswordChange *self)
{
  switch (self->flow)
    {
    case ESPY_PASSWORD_FLOW_ADD:
      return NULL;
    case ESPY_PASSWORD_FLOW_RECOVER:
      return NULL;
    case ESPY_PASSWORD_FLOW_APPLY:
      return self->current;
    case ESPY_PASSWORD_FLOW_CHANGE:
    case ESPY_PASSWORD_FLOW_REMOVE:
    default:
      return self->current_set ? self->current : config_password (self->config);
    }
}

static Target *
target_new (EspyPasswordChange *self,
            EspyDeviceConfig   *config,
            gboolean            first)
{
  Target *t = g_new0 (Target, 1);

  t->name = g_strdup (espy_device_config_get_name (config));
  t->config = g_object_ref (config);
  t->host = g_strdup (first && self->host != NULL ? self->host : espy_device_config_get_address (config));
  if (self->flow == ESPY_PASSWORD_FLOW_RECOVER)
    t->port = first && self->web_port != 0 ? self->web_port : espy_device_config_get_web_server_port (config);
  else
    t->port = first && self->port != 0 ? self->port : espy_device_config_get_ota_port (config);
  t->current = g_strdup (first ? effective_current (self) : config_password (config));
  return t;
}

static void
plan_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  EspyPasswordChange *self = ESPY_PASSWORD_CHANGE (source);
  g_autoptr(GTask) task = user_data;
  Plan *plan = g_task_get_task_data (G_TASK (result));
  g_autoptr(GStrvBuilder) shared = g_strv_builder_new ();
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_set_object (&self->editor, plan->editor);
  g_ptr_array_set_size (self->targets, 0);
  g_ptr_array_add (self->targets, target_new (self, self->config, TRUE));
  for (guint i = 0; i < plan->users->len; i++)
    {
      EspyDeviceConfig *other = g_ptr_array_index (plan->users, i);

      g_strv_builder_add (shared, espy_device_config_get_name (other));
      if (self->shared == ESPY_PASSWORD_SHARED_ROTATE_ALL)
        g_ptr_array_add (self->targets, target_new (self, other, FALSE));
    }
  g_strfreev (self->shared_devices);
  self->shared_devices = g_strv_builder_end (shared);
  self->prepared = TRUE;
  g_task_return_boolean (task, TRUE);
}

static void
start_plan (EspyPasswordChange *self,
            GTask              *task)
{
  Plan *plan = g_new0 (Plan, 1);
  g_autoptr(GTask) thread_task = g_task_new (self, g_task_get_cancellable (task), plan_done, g_object_ref (task));
  GListModel *model = self->folder != NULL ? G_LIST_MODEL (self->folder) : NULL;
  g_autofree char *own = config_path (self->config);

  plan->config = g_object_ref (self->config);
  plan->flow = self->flow;
  plan->shared = self->shared;
  plan->new_password = g_strdup (effective_new (self));
  if (self->flow == ESPY_PASSWORD_FLOW_APPLY)
    g_clear_pointer (&plan->new_password, espy_secret_free);
  plan->others = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; model != NULL && i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(EspyDeviceConfig) other = g_list_model_get_item (model, i);
      g_autofree char *path = config_path (other);

      if (!same_path (path, own))
        g_ptr_array_add (plan->others, g_steal_pointer (&other));
    }
  g_task_set_task_data (thread_task, plan, (GDestroyNotify) plan_free);
  g_task_run_in_thread (thread_task, plan_thread);
}

static void
folder_loaded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EspyPasswordChange *self = g_task_get_source_object (task);
  GError *error = NULL;

  /* A folder that cannot be listed only means nothing else is known to share. */
  if (!espy_config_folder_load_finish (ESPY_CONFIG_FOLDER (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, error);
          return;
        }
      g_debug ("password change: %s", error->message);
      g_clear_error (&error);
    }
  start_plan (self, task);
}

void
espy_password_change_prepare_async (EspyPasswordChange  *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (ESPY_IS_PASSWORD_CHANGE (self));
  g_return_if_fail (!self->running);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_password_change_prepare_async);
  self->prepared = FALSE;
  if (!validate (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (self->folder == NULL)
    {
      g_autoptr(GFile) dir = g_file_get_parent (espy_device_config_get_file (self->config));

      self->folder = espy_config_folder_new (dir);
    }
  if (!espy_config_folder_is_loaded (self->folder))
    espy_config_folder_load_async (self->folder, cancellable, folder_loaded, g_steal_pointer (&task));
  else
    start_plan (self, task);
}

gboolean
espy_password_change_prepare_finish (EspyPasswordChange  *self,
                                     GAsyncResult        *result,
                                     GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

char *
espy_password_change_get_diff (EspyPasswordChange *self,
                               gboolean            redact)
{
  g_autoptr(GFile) dir = NULL;
  g_autofree char *base = NULL;

  g_return_val_if_fail (ESPY_IS_PASSWORD_CHANGE (self), NULL);
  if (self->editor == NULL)
    return g_strdup ("");
  dir = g_file_get_parent (espy_device_config_get_file (self->config));
  base = g_file_get_path (dir);
  return espy_yaml_editor_diff (self->editor, base, redact);
}

GStrv
espy_password_change_get_files (EspyPasswordChange *self)
{
  g_return_val_if_fail (ESPY_IS_PASSWORD_CHANGE (self), NULL);
  if (self->editor == NULL)
    return g_new0 (char *, 1);
  return espy_yaml_editor_get_paths (self->editor);
}

GStrv
espy_password_change_get_shared_devices (EspyPasswordChange *self)
{
  g_return_val_if_fail (ESPY_IS_PASSWORD_CHANGE (self), NULL);
  return g_strdupv (self->shared_devices != NULL ? self->shared_devices : (GStrv) (const char *[]) { NULL });
}

/* ---- OTA checks --------------------------------------------------------- */

static EspyOtaClient *
new_check_client (const char *host,
                  guint16     port,
                  const char *password)
{
  EspyOtaClient *client = espy_ota_client_new (host, port);

  espy_ota_client_set_password (client, password);
  espy_ota_client_set_retries (client, 0, 0);
  espy_ota_client_set_timeouts (client, CHECK_TIMEOUT_MS, CHECK_TIMEOUT_MS);
  return client;
}

static gboolean
is_auth_error (const GError *error)
{
  return error != NULL && error->domain == ESPY_OTA_ERROR && espy_ota_error_is_auth (error->code);
}

/* check_async: device 0 only, for the wizard. */
static void
check_only_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EspyPasswordChange *self = g_task_get_source_object (task);
  GError *error = NULL;
  gboolean ok = espy_ota_client_check_finish (ESPY_OTA_CLIENT (source), result, &error);

  if (self->flow == ESPY_PASSWORD_FLOW_ADD && !ok && g_error_matches (error, ESPY_OTA_ERROR,
                                                                      ESPY_OTA_ERROR_PASSWORD_REQUIRED))
    {
      g_clear_error (&error);
      g_task_return_new_error (task, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_HAS_PASSWORD,
                               _("The device already has an OTA password although the configuration sets "
                                 "none. Choose “The device rejects the password in my YAML” and enter the "
                                 "password it has, or “Recover”."));
      return;
    }
  if (!ok && is_auth_error (error))
    {
      g_clear_error (&error);
      g_task_return_new_error (task, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_CURRENT_REJECTED,
                               _("The device does not accept the current password, so nothing was "
                                 "changed. If the YAML was edited since the last install, choose “The "
                                 "device rejects the password in my YAML” (espy-cli password apply) and "
                                 "enter the password it was installed with; if nobody knows it, choose "
                                 "“Recover”."));
      return;
    }
  if (!ok)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
start_check (EspyPasswordChange *self,
             Target             *t,
             GTask              *task,
             GAsyncReadyCallback callback)
{
  g_autoptr(EspyOtaClient) client = new_check_client (t->host, t->port, t->current);

  espy_ota_client_check_async (client, g_task_get_cancellable (task), callback, task);
}

void
espy_password_change_check_async (EspyPasswordChange  *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (ESPY_IS_PASSWORD_CHANGE (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_password_change_check_async);
  if (!self->prepared || self->targets->len == 0)
    {
      /* Before prepare (the wizard checks first): the config's device. */
      Target *t = target_new (self, self->config, TRUE);

      start_check (self, t, task, check_only_cb);
      target_free (t);
      return;
    }
  start_check (self, target (self, 0), task, check_only_cb);
}

gboolean
espy_password_change_check_finish (EspyPasswordChange  *self,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Run ---------------------------------------------------------------- */

static void run_checks (EspyPasswordChange *self);
static void run_builds (EspyPasswordChange *self);
static void run_uploads (EspyPasswordChange *self);
static void run_verify (EspyPasswordChange *self);
static void run_keyring (EspyPasswordChange *self);
static void run_end (EspyPasswordChange *self);

static GCancellable *
run_cancellable (EspyPasswordChange *self)
{
  return g_task_get_cancellable (self->task);
}

static void
set_running (EspyPasswordChange *self,
             gboolean            running)
{
  if (self->running == running)
    return;
  self->running = running;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static void
complete (EspyPasswordChange *self,
          GError             *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  set_running (self, FALSE);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
target_fail (EspyPasswordChange *self,
             guint               index,
             GError             *error)
{
  Target *t = target (self, index);

  g_clear_error (&t->error);
  t->error = error;
  t->failed_step = t->step;
  set_step (self, index, ESPY_PASSWORD_STEP_FAILED, error->message);
}

typedef enum {
  FILES_COMMIT,
  FILES_ROLLBACK,
  FILES_FINISH,
} FilesOp;

static void
files_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  EspyYamlEditor *editor = ESPY_YAML_EDITOR (source_object);
  FilesOp op = GPOINTER_TO_INT (task_data);
  GError *error = NULL;
  gboolean ok = TRUE;

  switch (op)
    {
    case FILES_COMMIT:
      ok = espy_yaml_editor_commit (editor, &error);
      break;
    case FILES_ROLLBACK:
      ok = espy_yaml_editor_rollback (editor, &error);
      break;
    case FILES_FINISH:
    default:
      espy_yaml_editor_finish (editor);
      break;
    }
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
files_async (EspyPasswordChange  *self,
             FilesOp              op,
             GAsyncReadyCallback  callback)
{
  g_autoptr(GTask) task = g_task_new (self->editor, NULL, callback, g_object_ref (self));

  g_task_set_task_data (task, GINT_TO_POINTER (op), NULL);
  g_task_run_in_thread (task, files_thread);
}

/* Failure before any device got the new firmware: every file back, the
 * keyring untouched, then ERROR (which says so). */
static void
rollback_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(EspyPasswordChange) self = user_data;
  g_autoptr(GError) rollback_error = NULL;
  GError *error = g_object_steal_data (G_OBJECT (self), "espy-pending-error");

  if (!g_task_propagate_boolean (G_TASK (result), &rollback_error))
    {
      GError *worse = g_error_new (ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_IO,
                                   _("%s — and restoring the configuration failed: %s. Backups named "
                                     "“.FILE.espy-backup” are next to the files: copy them back by hand."),
                                   error->message, rollback_error->message);

      g_error_free (error);
      complete (self, worse);
      return;
    }
  self->rolled_back = TRUE;
  for (guint i = 0; i < self->targets->len; i++)
    if (target (self, i)->expects == ESPY_PASSWORD_EXPECTS_UNKNOWN)
      target (self, i)->expects = ESPY_PASSWORD_EXPECTS_OLD;
  complete (self, error);
}

static void
fail_and_restore (EspyPasswordChange *self,
                  GError             *error)
{
  for (guint i = 0; i < self->targets->len; i++)
    if (!target (self, i)->uploaded)
      target (self, i)->expects = ESPY_PASSWORD_EXPECTS_OLD;
  if (self->editor != NULL && espy_yaml_editor_is_committed (self->editor))
    {
      g_object_set_data_full (G_OBJECT (self), "espy-pending-error", error, NULL);
      files_async (self, FILES_ROLLBACK, rollback_done);
      return;
    }
  self->rolled_back = TRUE;
  complete (self, error);
}

/* --- checks --- */

static void
run_check_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  EspyPasswordChange *self = g_task_get_source_object (G_TASK (result));
  GError *error = NULL;

  /* check_only_cb's error wording, on a task of our own. */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_prefix_error (&error, _("%s: "), target (self, self->index)->name);
      target_fail (self, self->index, g_error_copy (error));
      fail_and_restore (self, error);
      return;
    }
  self->index++;
  run_checks (self);
}

static void
run_checks (EspyPasswordChange *self)
{
  GTask *check_task;
  Target *t;

  if (self->index >= self->targets->len || self->flow == ESPY_PASSWORD_FLOW_RECOVER)
    {
      /* Every device answers the current password: now the files. */
      self->index = 0;
      run_builds (self);
      return;
    }
  t = target (self, self->index);
  set_step (self, self->index, ESPY_PASSWORD_STEP_CHECK, NULL);
  /* check_only_cb words the failure and completes CHECK_TASK. */
  check_task = g_task_new (self, run_cancellable (self), run_check_cb, NULL);
  {
    g_autoptr(EspyOtaClient) client = new_check_client (t->host, t->port, t->current);

    espy_ota_client_check_async (client, run_cancellable (self), check_only_cb, check_task);
  }
}

/* --- edit + builds --- */

static void build_next (EspyPasswordChange *self);

static void
commit_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(EspyPasswordChange) self = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      target_fail (self, 0, g_error_copy (error));
      fail_and_restore (self, error);
      return;
    }
  self->index = 0;
  build_next (self);
}

static void
run_builds (EspyPasswordChange *self)
{
  g_auto(GStrv) paths = self->editor != NULL ? espy_yaml_editor_get_paths (self->editor) : NULL;

  for (guint i = 0; i < self->targets->len; i++)
    set_step (self, i, ESPY_PASSWORD_STEP_EDIT, NULL);
  if (paths == NULL || paths[0] == NULL)
    {
      self->index = 0;
      build_next (self);
      return;
    }
  files_async (self, FILES_COMMIT, commit_done);
}

static void
image_loaded (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(EspyPasswordChange) self = user_data;
  GError *error = NULL;
  EspyFirmwareImage *image = espy_firmware_image_load_finish (result, &error);

  if (image == NULL)
    {
      target_fail (self, self->index, g_error_copy (error));
      fail_and_restore (self, error);
      return;
    }
  target (self, self->index)->image = image;
  self->index++;
  build_next (self);
}

static void
build_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(EspyPasswordChange) self = user_data;
  g_autoptr(GFile) firmware = NULL;
  GError *error = NULL;

  firmware = espy_build_runner_build_finish (ESPY_BUILD_RUNNER (source), result, &error);
  if (firmware == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_prefix_error (&error, _("Building %s failed, so nothing was installed and the configuration "
                                  "was restored: "), target (self, self->index)->name);
      target_fail (self, self->index, g_error_copy (error));
      fail_and_restore (self, error);
      return;
    }
  espy_firmware_image_load_async (firmware, run_cancellable (self), image_loaded, g_object_ref (self));
}

static void
build_status_cb (EspyBuildRunner    *runner,
                 GParamSpec         *pspec,
                 EspyPasswordChange *self)
{
  const char *status = espy_build_runner_get_status (runner);

  if (status != NULL && self->index < self->targets->len)
    g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, self->index, ESPY_PASSWORD_STEP_BUILD, status);
}

static void
build_next (EspyPasswordChange *self)
{
  g_autoptr(EspyBuildRunner) runner = NULL;
  Target *t;

  if (g_cancellable_is_cancelled (run_cancellable (self)))
    {
      fail_and_restore (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                   _("Cancelled; the configuration was restored.")));
      return;
    }
  if (self->index >= self->targets->len)
    {
      self->index = 0;
      run_uploads (self);
      return;
    }
  t = target (self, self->index);
  set_step (self, self->index, ESPY_PASSWORD_STEP_BUILD, NULL);
  runner = espy_build_runner_new (espy_device_config_get_file (t->config));
  espy_build_runner_set_node_name (runner, t->name);
  g_signal_connect_object (runner, "notify::status", G_CALLBACK (build_status_cb), self, 0);
  espy_build_runner_build_async (runner, run_cancellable (self), build_done, g_object_ref (self));
}

/* --- uploads --- */

static void upload_next (EspyPasswordChange *self);

static void
after_upload (EspyPasswordChange *self,
              GError             *error)
{
  Target *t = target (self, self->index);

  if (error != NULL && !t->uploaded)
    {
      /* This device kept its firmware and its password. */
      t->expects = ESPY_PASSWORD_EXPECTS_OLD;
      target_fail (self, self->index, error);
      self->index++;
      upload_next (self);
      return;
    }
  g_clear_error (&error);
  set_step (self, self->index, ESPY_PASSWORD_STEP_VERIFY, NULL);
  self->verify_deadline = g_get_monotonic_time () + (gint64) self->reboot_timeout_ms * 1000;
  t->new_accepted = FALSE;
  t->old_refused = FALSE;
  run_verify (self);
}

static void
job_state_cb (EspyInstallJob     *job,
              EspyInstallState    old_state,
              EspyInstallState    new_state,
              EspyPasswordChange *self)
{
  switch (new_state)
    {
    case ESPY_INSTALL_STATE_CONNECTING:
    case ESPY_INSTALL_STATE_UPLOADING:
      if (target (self, self->index)->step != ESPY_PASSWORD_STEP_UPLOAD)
        set_step (self, self->index, ESPY_PASSWORD_STEP_UPLOAD, NULL);
      break;
    case ESPY_INSTALL_STATE_REBOOTING:
      /* The device acknowledged the whole image: it has the new firmware. */
      target (self, self->index)->uploaded = TRUE;
      set_step (self, self->index, ESPY_PASSWORD_STEP_REBOOT, NULL);
      break;
    case ESPY_INSTALL_STATE_PENDING:
    case ESPY_INSTALL_STATE_PREPARING:
    case ESPY_INSTALL_STATE_VERIFYING:
    case ESPY_INSTALL_STATE_SUCCEEDED:
    case ESPY_INSTALL_STATE_FAILED:
    case ESPY_INSTALL_STATE_CANCELLED:
    default:
      break;
    }
}

static void
job_fraction_cb (EspyInstallJob     *job,
                 GParamSpec         *pspec,
                 EspyPasswordChange *self)
{
  g_signal_emit (self, signals[SIGNAL_UPLOAD_PROGRESS], 0, self->index, espy_install_job_get_fraction (job));
}

static void
job_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(EspyPasswordChange) self = user_data;
  GError *error = NULL;

  espy_install_job_run_finish (ESPY_INSTALL_JOB (source), result, &error);
  g_signal_handlers_disconnect_by_data (source, self);
  g_clear_object (&self->job);
  after_upload (self, error);
}

static void
web_stage_cb (EspyWebOtaClient   *client,
              guint               stage,
              EspyPasswordChange *self)
{
  if (stage == ESPY_OTA_STAGE_REBOOT)
    {
      target (self, self->index)->uploaded = TRUE;
      set_step (self, self->index, ESPY_PASSWORD_STEP_REBOOT, NULL);
    }
}

static void
web_progress_cb (EspyWebOtaClient   *client,
                 guint64             sent,
                 guint64             total,
                 EspyPasswordChange *self)
{
  g_signal_emit (self, signals[SIGNAL_UPLOAD_PROGRESS], 0, self->index,
                 total > 0 ? (double) sent / (double) total : 0.0);
}

static void
web_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(EspyPasswordChange) self = user_data;
  GError *error = NULL;

  if (espy_web_ota_client_upload_finish (ESPY_WEB_OTA_CLIENT (source), result, &error))
    target (self, self->index)->uploaded = TRUE;
  g_signal_handlers_disconnect_by_data (source, self);
  after_upload (self, error);
}

static void
upload_next (EspyPasswordChange *self)
{
  Target *t;

  if (self->index >= self->targets->len)
    {
      self->index = 0;
      run_keyring (self);
      return;
    }
  t = target (self, self->index);
  if (g_cancellable_is_cancelled (run_cancellable (self)))
    {
      t->expects = ESPY_PASSWORD_EXPECTS_OLD;
      target_fail (self, self->index, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled")));
      self->index++;
      upload_next (self);
      return;
    }
  set_step (self, self->index, ESPY_PASSWORD_STEP_UPLOAD, NULL);

  if (self->flow == ESPY_PASSWORD_FLOW_RECOVER)
    {
      g_autoptr(EspyWebOtaClient) client = espy_web_ota_client_new (t->host, t->port);

      espy_web_ota_client_set_credentials (client, espy_device_config_get_web_server_username (t->config),
                                           espy_device_config_get_web_server_password (t->config));
      g_signal_connect (client, "stage-changed", G_CALLBACK (web_stage_cb), self);
      g_signal_connect (client, "progress", G_CALLBACK (web_progress_cb), self);
      espy_web_ota_client_upload_async (client, t->image, run_cancellable (self), web_done, g_object_ref (self));
      return;
    }

  {
    g_autoptr(EspyDeviceInfo) info = espy_device_info_new ();
    EspyDevice *device;

    /* The job needs a device; a private store keeps this one out of the
     * user's list and away from probes. */
    if (self->store == NULL)
      {
        self->store = espy_device_store_new ();
        espy_device_store_set_probe_interval (self->store, 0);
      }
    espy_device_info_set_name (info, t->name);
    espy_device_info_set_host (info, t->host);
    info->ota_port = t->port;
    if (espy_device_config_get_platform (t->config) != NULL)
      espy_device_info_set_platform (info, espy_device_config_get_platform (t->config));
    espy_device_store_update (self->store, ESPY_DEVICE_SOURCE_MANUAL, t->name, info);
    device = espy_device_store_lookup (self->store, t->name);

    self->job = espy_install_job_new (device, t->image);
    espy_install_job_set_host (self->job, t->host);
    espy_install_job_set_ota_port (self->job, t->port);
    espy_install_job_set_transport (self->job, ESPY_INSTALL_TRANSPORT_OTA);
    /* The CURRENT password: the device still expects it. */
    espy_install_job_set_password (self->job, t->current);
    espy_install_job_set_reboot_timeout (self->job, self->reboot_timeout_ms);
    espy_install_job_set_verify_timeout (self->job, 0);
    g_signal_connect (self->job, "state-changed", G_CALLBACK (job_state_cb), self);
    g_signal_connect (self->job, "notify::fraction", G_CALLBACK (job_fraction_cb), self);
    espy_install_job_run_async (self->job, run_cancellable (self), job_done, g_object_ref (self));
  }
}

static void
run_uploads (EspyPasswordChange *self)
{
  upload_next (self);
}

/* --- verification --- */

static void verify_old (EspyPasswordChange *self);
static guint16 verify_port (EspyPasswordChange *self, Target *t);

static gboolean
verify_retry_cb (gpointer user_data)
{
  EspyPasswordChange *self = user_data;

  self->wait_id = 0;
  run_verify (self);
  return G_SOURCE_REMOVE;
}

static const char *
verify_new_password (EspyPasswordChange *self)
{
  return effective_new (self);
}

static void
verify_done (EspyPasswordChange *self)
{
  Target *t = target (self, self->index);

  t->expects = ESPY_PASSWORD_EXPECTS_NEW;
  set_step (self, self->index, ESPY_PASSWORD_STEP_VERIFY,
            verify_new_password (self) == NULL ? _("The device installs without a password now")
            : self->flow == ESPY_PASSWORD_FLOW_RECOVER ? _("The device accepts the new password")
            : _("The device accepts the new password and refuses the old one"));
  self->index++;
  upload_next (self);
}

static void
unverified (EspyPasswordChange *self,
            EspyPasswordExpects expects,
            const char         *detail)
{
  Target *t = target (self, self->index);
  const char *what;

  t->expects = expects;
  switch (expects)
    {
    case ESPY_PASSWORD_EXPECTS_OLD:
      what = t->current != NULL ? _("It still expects the OLD password.")
                                : _("It still expects no password.");
      break;
    case ESPY_PASSWORD_EXPECTS_NEW:
      what = _("It accepts the NEW password, but also others.");
      break;
    case ESPY_PASSWORD_EXPECTS_UNKNOWN:
    default:
      what = _("It accepts neither the old nor the new password, or does not answer.");
      break;
    }
  target_fail (self, self->index,
               g_error_new (ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_UNVERIFIED,
                            _("%s: the new firmware was installed, but %s %s Both passwords are kept: the "
                              "configuration has the new one and the wizard can still show you the old "
                              "one. Check the device's log, then try the check again."),
                            t->name, detail, what));
  self->index++;
  upload_next (self);
}

typedef struct {
  EspyPasswordChange *self;
  int                 phase;   /* 0: new, 1: old must fail, 2: diagnose with old */
} VerifyCall;

static void
verify_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  VerifyCall *call = user_data;
  g_autoptr(EspyPasswordChange) self = call->self;
  g_autoptr(GError) error = NULL;
  gboolean ok = espy_ota_client_check_finish (ESPY_OTA_CLIENT (source), result, &error);
  int phase = call->phase;
  Target *t = target (self, self->index);

  g_free (call);
  g_clear_object (&self->check_client);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      unverified (self, ESPY_PASSWORD_EXPECTS_UNKNOWN, _("the check was cancelled."));
      return;
    }
  switch (phase)
    {
    case 0:
      if (ok)
        {
          t->new_accepted = TRUE;
          verify_old (self);
          return;
        }
      if (g_get_monotonic_time () < self->verify_deadline)
        {
          /* Still restarting, or the old firmware still answering. */
          self->wait_id = g_timeout_add (VERIFY_RETRY_MS, verify_retry_cb, self);
          return;
        }
      {
        VerifyCall *next = g_new0 (VerifyCall, 1);

        next->self = g_object_ref (self);
        next->phase = 2;
        self->check_client = new_check_client (t->host, verify_port (self, t), t->current);
        espy_ota_client_check_async (self->check_client, run_cancellable (self), verify_cb, next);
      }
      return;
    case 1:
      if (!ok && is_auth_error (error))
        {
          t->old_refused = TRUE;
          verify_done (self);
        }
      else if (ok)
        unverified (self, ESPY_PASSWORD_EXPECTS_NEW, _("the device still accepts the old password."));
      else
        unverified (self, ESPY_PASSWORD_EXPECTS_UNKNOWN, error->message);
      return;
    case 2:
    default:
      unverified (self, ok && self->flow != ESPY_PASSWORD_FLOW_RECOVER ? ESPY_PASSWORD_EXPECTS_OLD
                                                                       : ESPY_PASSWORD_EXPECTS_UNKNOWN,
                  _("the device does not accept the new password."));
      return;
    }
}

static guint16
verify_port (EspyPasswordChange *self,
             Target             *t)
{
  /* Recover uploads to the web server; the check speaks native OTA. */
  if (self->flow == ESPY_PASSWORD_FLOW_RECOVER)
    return self->port != 0 && self->index == 0 ? self->port : espy_device_config_get_ota_port (t->config);
  return t->port;
}

static void
run_verify (EspyPasswordChange *self)
{
  Target *t = target (self, self->index);
  VerifyCall *call = g_new0 (VerifyCall, 1);

  call->self = g_object_ref (self);
  call->phase = 0;
  self->check_client = new_check_client (t->host, verify_port (self, t), verify_new_password (self));
  espy_ota_client_check_async (self->check_client, run_cancellable (self), verify_cb, call);
}

static void
verify_old (EspyPasswordChange *self)
{
  Target *t = target (self, self->index);
  const char *old = t->current;
  const char *new = verify_new_password (self);
  VerifyCall *call;

  /* Without a new password every password is accepted: nothing to refuse.
   * Recover does not know the old one. */
  if (new == NULL || self->flow == ESPY_PASSWORD_FLOW_RECOVER)
    {
      verify_done (self);
      return;
    }
  call = g_new0 (VerifyCall, 1);
  call->self = g_object_ref (self);
  call->phase = 1;
  /* Add: the old "password" is none, which must now be refused. */
  self->check_client = new_check_client (t->host, verify_port (self, t), old);
  espy_ota_client_check_async (self->check_client, run_cancellable (self), verify_cb, call);
}

/* --- keyring and the end --- */

static void
keyring_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(EspyPasswordChange) self = user_data;
  g_autoptr(GError) error = NULL;
  Target *t = target (self, self->index);
  const char *new = effective_new (self);
  gboolean ok;

  if (t->expects == ESPY_PASSWORD_EXPECTS_NEW && new == NULL)
    ok = espy_secrets_clear_finish (result, NULL, &error);
  else
    ok = espy_secrets_store_finish (result, &error);
  if (!ok && self->keyring_error == NULL)
    {
      self->keyring_error = g_error_copy (error);
      g_prefix_error (&self->keyring_error, _("The password could not be saved in the keyring: "));
    }
  self->index++;
  run_keyring (self);
}

static void
run_keyring (EspyPasswordChange *self)
{
  Target *t;
  const char *new = effective_new (self);
  gboolean any_uploaded = FALSE;

  if (self->index == 0)
    {
      for (guint i = 0; i < self->targets->len; i++)
        any_uploaded |= target (self, i)->uploaded;
      if (!any_uploaded)
        {
          /* Nothing reached any device: as if nothing happened. */
          GError *first = NULL;

          for (guint i = 0; i < self->targets->len && first == NULL; i++)
            if (target (self, i)->error != NULL)
              first = g_error_copy (target (self, i)->error);
          if (first == NULL)
            first = g_error_new_literal (ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_PARTIAL, _("Nothing was installed."));
          if (!g_error_matches (first, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_prefix_error (&first, _("The configuration was restored: "));
          fail_and_restore (self, first);
          return;
        }
    }
  if (!self->use_keyring || self->index >= self->targets->len)
    {
      run_end (self);
      return;
    }
  t = target (self, self->index);
  if (t->expects == ESPY_PASSWORD_EXPECTS_NEW)
    {
      set_step (self, self->index, ESPY_PASSWORD_STEP_STORE, NULL);
      if (new == NULL)
        espy_secrets_clear_async (t->name, ESPY_SECRET_KIND_OTA_PASSWORD, NULL, keyring_cb, g_object_ref (self));
      else
        espy_secrets_store_async (t->name, ESPY_SECRET_KIND_OTA_PASSWORD, new, NULL, keyring_cb, g_object_ref (self));
      return;
    }
  if (t->expects == ESPY_PASSWORD_EXPECTS_OLD && t->current != NULL && self->targets->len > 1)
    {
      /* Rotate-all left this one on the old password while the YAML says
       * the new one: keep the old one where Espy's next install finds it. */
      espy_secrets_store_async (t->name, ESPY_SECRET_KIND_OTA_PASSWORD, t->current, NULL, keyring_cb,
                                g_object_ref (self));
      return;
    }
  self->index++;
  run_keyring (self);
}

static void
finish_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(EspyPasswordChange) self = user_data;
  guint n_new = 0;
  guint n = self->targets->len;

  g_task_propagate_boolean (G_TASK (result), NULL);
  for (guint i = 0; i < n; i++)
    n_new += target (self, i)->expects == ESPY_PASSWORD_EXPECTS_NEW && target (self, i)->error == NULL;
  if (n_new == n)
    {
      complete (self, NULL);
      return;
    }
  if (n == 1 && target (self, 0)->error != NULL)
    {
      complete (self, g_error_copy (target (self, 0)->error));
      return;
    }
  {
    g_autoptr(GString) names = g_string_new (NULL);

    for (guint i = 0; i < n; i++)
      if (!(target (self, i)->expects == ESPY_PASSWORD_EXPECTS_NEW && target (self, i)->error == NULL))
        g_string_append_printf (names, "%s%s (%s)", names->len > 0 ? ", " : "", target (self, i)->name,
                                target (self, i)->expects == ESPY_PASSWORD_EXPECTS_OLD
                                ? _("still expects the old password")
                                : _("unknown: check it"));
    complete (self, g_error_new (ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_PARTIAL,
                                 _("%u of %u devices now use the new password. Not changed: %s. The "
                                   "configuration keeps the new password; the old one is kept in the "
                                   "keyring for the devices that still expect it. Fix them and run the "
                                   "change again for those devices."), n_new, n, names->str));
  }
}

static void
run_end (EspyPasswordChange *self)
{
  for (guint i = 0; i < self->targets->len; i++)
    if (target (self, i)->error == NULL && target (self, i)->expects == ESPY_PASSWORD_EXPECTS_NEW)
      set_step (self, i, ESPY_PASSWORD_STEP_DONE, NULL);
  if (self->editor != NULL && espy_yaml_editor_is_committed (self->editor))
    files_async (self, FILES_FINISH, finish_done);
  else
    {
      g_autoptr(GTask) task = g_task_new (self, NULL, finish_done, g_object_ref (self));

      g_task_return_boolean (task, TRUE);
    }
}

void
espy_password_change_run_async (EspyPasswordChange  *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ESPY_IS_PASSWORD_CHANGE (self));
  g_return_if_fail (self->task == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_password_change_run_async);
  if (!self->prepared)
    {
      g_task_return_new_error (task, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_NOT_PREPARED,
                               _("The password change is not prepared yet."));
      return;
    }
  if (self->shared_devices != NULL && self->shared_devices[0] != NULL && self->shared == ESPY_PASSWORD_SHARED_ASK)
    {
      g_autofree char *names = g_strjoinv (", ", self->shared_devices);

      g_task_return_new_error (task, ESPY_PASSWORD_ERROR, ESPY_PASSWORD_ERROR_SHARED,
                               _("The password is shared with %s. Choose to change it on all of them, or "
                                 "to give this device its own secret."), names);
      return;
    }
  for (guint i = 0; i < self->targets->len; i++)
    {
      Target *t = target (self, i);

      t->step = ESPY_PASSWORD_STEP_PENDING;
      t->failed_step = ESPY_PASSWORD_STEP_PENDING;
      t->expects = ESPY_PASSWORD_EXPECTS_UNKNOWN;
      t->uploaded = t->new_accepted = t->old_refused = FALSE;
      g_clear_error (&t->error);
      g_clear_object (&t->image);
    }
  g_clear_error (&self->keyring_error);
  self->rolled_back = FALSE;
  self->task = g_steal_pointer (&task);
  self->index = 0;
  set_running (self, TRUE);
  run_checks (self);
}

gboolean
espy_password_change_run_finish (EspyPasswordChange  *self,
                                 GAsyncResult        *result,
                                 GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
espy_password_change_get_running (EspyPasswordChange *self)
{
  g_return_val_if_fail (ESPY_IS_PASSWORD_CHANGE (self), FALSE);
  return self->running;
}

gboolean
espy_password_change_get_rolled_back (EspyPasswordChange *self)
{
  g_return_val_if_fail (ESPY_IS_PASSWORD_CHANGE (self), FALSE);
  return self->rolled_back;
}

/* ---- Results ------------------------------------------------------------ */

guint
espy_password_change_get_n_devices (EspyPasswordChange *self)
{
  g_return_val_if_fail (ESPY_IS_PASSWORD_CHANGE (self), 0);
  return self->targets->len;
}

#define CHECK_INDEX(ret) \
  g_return_val_if_fail (ESPY_IS_PASSWORD_CHANGE (self), ret); \
  g_return_val_if_fail (index < self->targets->len, ret)

const char *
espy_password_change_get_device_name (EspyPasswordChange *self,
                                      guint               index)
{
  CHECK_INDEX (NULL);
  return target (self, index)->name;
}

const char *
espy_password_change_get_device_config_path (EspyPasswordChange *self,
                                             guint               index)
{
  GFile *file;

  CHECK_INDEX (NULL);
  file = espy_device_config_get_file (target (self, index)->config);
  /* A GFile keeps its path for its lifetime. */
  return g_file_peek_path (file);
}

EspyPasswordStep
espy_password_change_get_device_step (EspyPasswordChange *self,
                                      guint               index)
{
  CHECK_INDEX (ESPY_PASSWORD_STEP_PENDING);
  return target (self, index)->step;
}

EspyPasswordStep
espy_password_change_get_device_failed_step (EspyPasswordChange *self,
                                             guint               index)
{
  CHECK_INDEX (ESPY_PASSWORD_STEP_PENDING);
  return target (self, index)->failed_step;
}

EspyPasswordExpects
espy_password_change_get_device_expects (EspyPasswordChange *self,
                                         guint               index)
{
  CHECK_INDEX (ESPY_PASSWORD_EXPECTS_UNKNOWN);
  return target (self, index)->expects;
}

gboolean
espy_password_change_get_device_verified (EspyPasswordChange *self,
                                          guint               index,
                                          gboolean           *new_accepted,
                                          gboolean           *old_refused)
{
  Target *t;

  CHECK_INDEX (FALSE);
  t = target (self, index);
  if (new_accepted != NULL)
    *new_accepted = t->new_accepted;
  if (old_refused != NULL)
    *old_refused = t->old_refused;
  return t->expects == ESPY_PASSWORD_EXPECTS_NEW && t->error == NULL;
}

const GError *
espy_password_change_get_device_error (EspyPasswordChange *self,
                                       guint               index)
{
  CHECK_INDEX (NULL);
  return target (self, index)->error;
}

const GError *
espy_password_change_get_keyring_error (EspyPasswordChange *self)
{
  g_return_val_if_fail (ESPY_IS_PASSWORD_CHANGE (self), NULL);
  return self->keyring_error;
}

void
espy_password_change_dup_passwords (EspyPasswordChange  *self,
                                    char               **current_password,
                                    char               **new_password)
{
  g_return_if_fail (ESPY_IS_PASSWORD_CHANGE (self));
  if (current_password != NULL)
    *current_password = g_strdup (effective_current (self));
  if (new_password != NULL)
    *new_password = g_strdup (effective_new (self));
}

/* ---- Generating and rating ---------------------------------------------- */

char *
espy_password_generate (void)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  char *out = g_malloc0 (25);
  guint n = 0;

  while (n < 24)
    {
      guint8 buf[32];

      if (getentropy (buf, sizeof buf) != 0)
        g_error ("no system randomness for a password");
      for (guint i = 0; i < sizeof buf && n < 24; i++)
        if (buf[i] < 248)  /* 248 = 4 * 62: no modulo bias */
          out[n++] = alphabet[buf[i] % 62];
      explicit_bzero (buf, sizeof buf);
    }
  return out;
}

guint
espy_password_strength (const char *password)
{
  gboolean lower = FALSE, upper = FALSE, digit = FALSE, other = FALSE;
  glong len;
  guint classes;

  if (password == NULL || password[0] == '\0')
    return 0;
  len = g_utf8_strlen (password, -1);
  for (const char *p = password; *p != '\0'; p++)
    {
      if (g_ascii_islower (*p))
        lower = TRUE;
      else if (g_ascii_isupper (*p))
        upper = TRUE;
      else if (g_ascii_isdigit (*p))
        digit = TRUE;
      else
        other = TRUE;
    }
  classes = (guint) lower + (guint) upper + (guint) digit + (guint) other;
  if (len < 8)
    return 1;
  if (len >= 20 || (len >= 14 && classes >= 3))
    return 4;
  if (len >= 12 || classes >= 3)
    return 3;
  return 2;
}
