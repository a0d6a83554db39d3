/* espy-update-plan.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-update-plan.h"

#include <string.h>

#include "espy-secret-string.h"

typedef struct {
  EspyFirmwareImage *image;
  char              *password;
} PlanImage;

struct _EspyUpdatePlan
{
  GObject               parent_instance;

  EspyConfigFolder     *folder;
  EspyInstallTransport  transport;
  gboolean              use_keyring;
  gboolean              timeouts_set;
  guint                 reboot_timeout_ms;
  guint                 verify_timeout_ms;
  GHashTable           *images;  /* lowercase name -> PlanImage* */
};

G_DEFINE_FINAL_TYPE (EspyUpdatePlan, espy_update_plan, G_TYPE_OBJECT)

static void
plan_image_free (gpointer data)
{
  PlanImage *p = data;

  g_clear_object (&p->image);
  espy_secret_string_clear (&p->password);
  g_free (p);
}

EspyUpdatePlan *
espy_update_plan_new (EspyConfigFolder *folder)
{
  EspyUpdatePlan *self;

  g_return_val_if_fail (folder == NULL || ESPY_IS_CONFIG_FOLDER (folder), NULL);

  self = g_object_new (ESPY_TYPE_UPDATE_PLAN, NULL);
  g_set_object (&self->folder, folder);
  return self;
}

EspyConfigFolder *
espy_update_plan_get_config_folder (EspyUpdatePlan *self)
{
  g_return_val_if_fail (ESPY_IS_UPDATE_PLAN (self), NULL);
  return self->folder;
}

void
espy_update_plan_set_transport (EspyUpdatePlan       *self,
                                EspyInstallTransport  transport)
{
  g_return_if_fail (ESPY_IS_UPDATE_PLAN (self));
  self->transport = transport;
}

void
espy_update_plan_set_use_keyring (EspyUpdatePlan *self,
                                  gboolean        use_keyring)
{
  g_return_if_fail (ESPY_IS_UPDATE_PLAN (self));
  self->use_keyring = !!use_keyring;
}

void
espy_update_plan_set_timeouts (EspyUpdatePlan *self,
                               guint           reboot_timeout_ms,
                               guint           verify_timeout_ms)
{
  g_return_if_fail (ESPY_IS_UPDATE_PLAN (self));
  self->timeouts_set = TRUE;
  self->reboot_timeout_ms = reboot_timeout_ms;
  self->verify_timeout_ms = verify_timeout_ms;
}

void
espy_update_plan_add_image (EspyUpdatePlan    *self,
                            const char        *device_name,
                            EspyFirmwareImage *image,
                            const char        *password)
{
  PlanImage *p;

  g_return_if_fail (ESPY_IS_UPDATE_PLAN (self));
  g_return_if_fail (device_name != NULL);
  g_return_if_fail (ESPY_IS_FIRMWARE_IMAGE (image));

  p = g_new0 (PlanImage, 1);
  p->image = g_object_ref (image);
  p->password = g_strdup (password);
  g_hash_table_replace (self->images, g_ascii_strdown (device_name, -1), p);
}

EspyDeviceConfig *
espy_update_plan_lookup_config (EspyUpdatePlan *self,
                                EspyDevice     *device)
{
  const char *path;
  EspyDeviceConfig *config = NULL;

  g_return_val_if_fail (ESPY_IS_UPDATE_PLAN (self), NULL);
  g_return_val_if_fail (ESPY_IS_DEVICE (device), NULL);

  if (self->folder == NULL)
    return NULL;
  /* The file the device came from first: two YAMLs may name one node. */
  path = espy_device_get_config_path (device);
  if (path != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_path (path);

      config = espy_config_folder_lookup_file (self->folder, file);
    }
  if (config == NULL)
    config = espy_config_folder_lookup_name (self->folder, espy_device_get_name (device));
  return config;
}

static PlanImage *
lookup_image (EspyUpdatePlan *self,
              EspyDevice     *device)
{
  g_autofree char *key = g_ascii_strdown (espy_device_get_name (device), -1);

  return g_hash_table_lookup (self->images, key);
}

gboolean
espy_update_plan_has_source (EspyUpdatePlan *self,
                             EspyDevice     *device)
{
  g_return_val_if_fail (ESPY_IS_UPDATE_PLAN (self), FALSE);
  g_return_val_if_fail (ESPY_IS_DEVICE (device), FALSE);

  return espy_update_plan_lookup_config (self, device) != NULL || lookup_image (self, device) != NULL;
}

EspyInstallJob *
espy_update_plan_make_job (EspyUpdatePlan *self,
                           EspyDevice     *device)
{
  EspyDeviceConfig *config;
  PlanImage *p = NULL;
  EspyInstallJob *job;

  g_return_val_if_fail (ESPY_IS_UPDATE_PLAN (self), NULL);
  g_return_val_if_fail (ESPY_IS_DEVICE (device), NULL);

  config = espy_update_plan_lookup_config (self, device);
  if (config == NULL)
    p = lookup_image (self, device);
  if (config == NULL && p == NULL)
    return NULL;

  /* With a YAML the job builds it (image NULL): an older build on disk may
   * not be what the YAML says now. */
  job = espy_install_job_new (device, config != NULL ? NULL : p->image);
  espy_install_job_set_config (job, config);
  espy_install_job_set_transport (job, self->transport);
  espy_install_job_set_use_keyring (job, self->use_keyring);
  if (p != NULL && p->password != NULL)
    espy_install_job_set_password (job, p->password);
  if (self->timeouts_set)
    {
      espy_install_job_set_reboot_timeout (job, self->reboot_timeout_ms);
      espy_install_job_set_verify_timeout (job, self->verify_timeout_ms);
    }
  return job;
}

static EspyInstallJob *
plan_job_func (EspyDevice *device,
               gpointer    user_data)
{
  return espy_update_plan_make_job (ESPY_UPDATE_PLAN (user_data), device);
}

void
espy_update_plan_init_options (EspyUpdatePlan    *self,
                               EspyUpdateOptions *options)
{
  g_return_if_fail (ESPY_IS_UPDATE_PLAN (self));
  g_return_if_fail (options != NULL);

  options->make_job = plan_job_func;
  options->user_data = self;
}

static void
espy_update_plan_finalize (GObject *object)
{
  EspyUpdatePlan *self = ESPY_UPDATE_PLAN (object);

  g_clear_object (&self->folder);
  g_hash_table_unref (self->images);

  G_OBJECT_CLASS (espy_update_plan_parent_class)->finalize (object);
}

static void
espy_update_plan_class_init (EspyUpdatePlanClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = espy_update_plan_finalize;
}

static void
espy_update_plan_init (EspyUpdatePlan *self)
{
  self->transport = ESPY_INSTALL_TRANSPORT_AUTO;
  self->use_keyring = TRUE;
  self->images = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, plan_image_free);
}
