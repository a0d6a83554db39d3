/* espy-device-store.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-device-store.h"

#include "espy-device-private.h"
#include "espy-version.h"

struct _EspyDeviceStore {
  GObject                  parent_instance;

  GPtrArray               *devices;   /* EspyDevice*, sorted by sort key */
  GHashTable              *owners;    /* record key -> EspyDevice* (borrowed) */

  EspyReachabilityProber  *prober;
  guint                    probe_interval_ms;
  guint                    tick_id;
  guint                    kick_id;
  GCancellable            *cancellable;

  char                    *esphome_version;
  char                    *esphome_error;

  EspyManualDevices       *manual;
  gulong                   manual_changed_id;
  GHashTable              *manual_keys;   /* keys fed to MANUAL */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EspyDeviceStore, espy_device_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_ESPHOME_VERSION,
  N_PROPS
};

enum {
  SIGNAL_DEVICE_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void restart_tick (EspyDeviceStore *self);
static void kick_probes (EspyDeviceStore *self);

/* --- GListModel ----------------------------------------------------------- */

static GType
store_get_item_type (GListModel *model)
{
  return ESPY_TYPE_DEVICE;
}

static guint
store_get_n_items (GListModel *model)
{
  return ESPY_DEVICE_STORE (model)->devices->len;
}

static gpointer
store_get_item (GListModel *model,
                guint       position)
{
  EspyDeviceStore *self = ESPY_DEVICE_STORE (model);

  if (position >= self->devices->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->devices, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = store_get_item_type;
  iface->get_n_items = store_get_n_items;
  iface->get_item = store_get_item;
}

/* --- GObject -------------------------------------------------------------- */

static void
espy_device_store_dispose (GObject *object)
{
  EspyDeviceStore *self = ESPY_DEVICE_STORE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->kick_id, g_source_remove);
  if (self->manual != NULL)
    g_clear_signal_handler (&self->manual_changed_id, self->manual);
  g_clear_object (&self->manual);
  for (guint i = 0; i < self->devices->len; i++)
    {
      EspyDeviceProbe *probe = espy_device_get_probe (g_ptr_array_index (self->devices, i));

      if (probe->cancellable != NULL)
        g_cancellable_cancel (probe->cancellable);
    }

  G_OBJECT_CLASS (espy_device_store_parent_class)->dispose (object);
}

static void
espy_device_store_finalize (GObject *object)
{
  EspyDeviceStore *self = ESPY_DEVICE_STORE (object);

  g_ptr_array_unref (self->devices);
  g_hash_table_unref (self->owners);
  g_hash_table_unref (self->manual_keys);
  g_clear_object (&self->prober);
  g_clear_object (&self->cancellable);
  g_free (self->esphome_version);
  g_free (self->esphome_error);

  G_OBJECT_CLASS (espy_device_store_parent_class)->finalize (object);
}

static void
espy_device_store_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EspyDeviceStore *self = ESPY_DEVICE_STORE (object);

  switch (prop_id)
    {
    case PROP_ESPHOME_VERSION:
      g_value_set_string (value, self->esphome_version);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_device_store_class_init (EspyDeviceStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = espy_device_store_dispose;
  object_class->finalize = espy_device_store_finalize;
  object_class->get_property = espy_device_store_get_property;

  properties[PROP_ESPHOME_VERSION] =
    g_param_spec_string ("esphome-version", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_DEVICE_CHANGED] =
    g_signal_new ("device-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ESPY_TYPE_DEVICE);
}

static void
espy_device_store_init (EspyDeviceStore *self)
{
  self->devices = g_ptr_array_new_with_free_func (g_object_unref);
  self->owners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->manual_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  self->prober = espy_reachability_prober_new (ESPY_PROBE_DEFAULT_MAX_CONCURRENT,
                                               ESPY_PROBE_DEFAULT_TIMEOUT_MS);
  self->probe_interval_ms = ESPY_DEVICE_STORE_DEFAULT_PROBE_INTERVAL_MS;
  restart_tick (self);
}

EspyDeviceStore *
espy_device_store_new (void)
{
  return g_object_new (ESPY_TYPE_DEVICE_STORE, NULL);
}

/* --- list order ----------------------------------------------------------- */

static int
device_cmp (EspyDevice *a,
            EspyDevice *b)
{
  return g_strcmp0 (espy_device_get_sort_key (a), espy_device_get_sort_key (b));
}

/* After the last device that sorts before or with DEVICE: insertion is stable. */
static guint
insertion_point (EspyDeviceStore *self,
                 EspyDevice      *device)
{
  guint lo = 0, hi = self->devices->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (device_cmp (g_ptr_array_index (self->devices, mid), device) <= 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static void
insert_device (EspyDeviceStore *self,
               EspyDevice      *device)
{
  guint pos = insertion_point (self, device);

  g_ptr_array_insert (self->devices, (gint) pos, g_object_ref (device));
  g_list_model_items_changed (G_LIST_MODEL (self), pos, 0, 1);
}

static void
remove_device (EspyDeviceStore *self,
               EspyDevice      *device)
{
  EspyDeviceProbe *probe = espy_device_get_probe (device);
  guint pos;

  if (!g_ptr_array_find (self->devices, device, &pos))
    return;
  if (probe->cancellable != NULL)
    g_cancellable_cancel (probe->cancellable);
  /* The array's reference is dropped only after the signal: handlers may
   * still look at the device. */
  g_ptr_array_steal_index (self->devices, pos);
  g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 0);
  g_object_unref (device);
}

/* Moves DEVICE if its sort key changed its place. */
static void
reposition (EspyDeviceStore *self,
            EspyDevice      *device)
{
  guint pos, len = self->devices->len;

  if (!g_ptr_array_find (self->devices, device, &pos))
    return;
  if ((pos == 0 || device_cmp (g_ptr_array_index (self->devices, pos - 1), device) <= 0) &&
      (pos + 1 >= len || device_cmp (device, g_ptr_array_index (self->devices, pos + 1)) <= 0))
    return;

  g_ptr_array_steal_index (self->devices, pos);
  g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 0);
  insert_device (self, device);
  g_object_unref (device);
}

/* --- probes --------------------------------------------------------------- */

static void
reset_probe_if_seen (EspyDeviceStore *self,
                     EspyDevice      *device)
{
  EspyDeviceProbe *probe = espy_device_get_probe (device);

  /* mDNS or the API see it: probe results get stale, and the next probe
   * must come at once when the announcements stop. */
  if (!espy_device_is_seen_passively (device))
    return;
  if (probe->cancellable != NULL)
    g_cancellable_cancel (probe->cancellable);
  probe->ok = FALSE;
  probe->failed = FALSE;
  probe->started_mono = 0;
}

/* Refreshes DEVICE (already in the list) and tells everyone what changed. */
static void
device_refresh (EspyDeviceStore *self,
                EspyDevice      *device)
{
  gboolean was_seen = espy_device_is_seen_passively (device);

  reset_probe_if_seen (self, device);
  if (espy_device_refresh (device))
    {
      reposition (self, device);
      g_signal_emit (self, signals[SIGNAL_DEVICE_CHANGED], 0, device);
    }
  if (!was_seen || !espy_device_is_seen_passively (device))
    kick_probes (self);
}

typedef struct {
  EspyDeviceStore *self;    /* valid unless cancelled */
  EspyDevice      *device;  /* owned */
  GCancellable    *cancellable;
} ProbeCall;

static void
probe_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  ProbeCall *call = user_data;
  EspyDeviceProbe *probe = espy_device_get_probe (call->device);
  g_autoptr(GError) error = NULL;
  EspyProbeTarget answered = { 0, };
  guint ms = 0;
  gboolean ok;

  ok = espy_reachability_prober_probe_finish (ESPY_REACHABILITY_PROBER (object), result,
                                              &answered, &ms, &error);
  /* Cancelled: the store or the device went away, or mDNS saw the device. */
  if (!g_cancellable_is_cancelled (call->cancellable))
    {
      probe->running = FALSE;
      g_clear_object (&probe->cancellable);
      probe->ok = ok;
      probe->failed = !ok;
      probe->answered = answered;
      probe->connect_ms = ms;
      if (!ok)
        g_debug ("Probe of %s failed: %s", espy_device_get_name (call->device), error->message);
      device_refresh (call->self, call->device);
    }
  else if (probe->cancellable == call->cancellable)
    {
      probe->running = FALSE;
      g_clear_object (&probe->cancellable);
    }

  g_object_unref (call->device);
  g_object_unref (call->cancellable);
  g_free (call);
}

static void
start_probe (EspyDeviceStore *self,
             EspyDevice      *device)
{
  EspyDeviceProbe *probe = espy_device_get_probe (device);
  EspyProbeTarget targets[3];
  guint n = 0;
  ProbeCall *call;

  /* API and web first: the OTA port is touched only when they are silent,
   * since the device's OTA server serves one client at a time. */
  targets[n++] = (EspyProbeTarget) { ESPY_PROBE_SERVICE_API, espy_device_get_api_port (device) };
  if (espy_device_get_web_port (device) != 0)
    targets[n++] = (EspyProbeTarget) { ESPY_PROBE_SERVICE_WEB, espy_device_get_web_port (device) };
  targets[n++] = (EspyProbeTarget) { ESPY_PROBE_SERVICE_OTA, espy_device_get_ota_port (device) };

  probe->running = TRUE;
  probe->started_mono = g_get_monotonic_time ();
  g_clear_object (&probe->cancellable);
  probe->cancellable = g_cancellable_new ();

  call = g_new0 (ProbeCall, 1);
  call->self = self;
  call->device = g_object_ref (device);
  call->cancellable = g_object_ref (probe->cancellable);
  espy_reachability_prober_probe_async (self->prober, espy_device_get_address (device),
                                        targets, n, probe->cancellable, probe_done_cb, call);
}

static void
schedule_probes (EspyDeviceStore *self)
{
  gint64 now = g_get_monotonic_time ();

  if (self->probe_interval_ms == 0)
    return;
  for (guint i = 0; i < self->devices->len; i++)
    {
      EspyDevice *device = g_ptr_array_index (self->devices, i);
      EspyDeviceProbe *probe = espy_device_get_probe (device);

      if (probe->running || espy_device_is_seen_passively (device))
        continue;
      if (probe->started_mono != 0 &&
          now - probe->started_mono < (gint64) self->probe_interval_ms * 1000)
        continue;
      start_probe (self, device);
    }
}

static gboolean
kick_cb (gpointer user_data)
{
  EspyDeviceStore *self = user_data;

  self->kick_id = 0;
  schedule_probes (self);
  return G_SOURCE_REMOVE;
}

/* Probe soon, from the main loop (never from inside update/remove). */
static void
kick_probes (EspyDeviceStore *self)
{
  if (self->kick_id == 0 && self->probe_interval_ms != 0)
    self->kick_id = g_idle_add (kick_cb, self);
}

static gboolean
tick_cb (gpointer user_data)
{
  EspyDeviceStore *self = user_data;
  g_autoptr(GPtrArray) snapshot = g_ptr_array_copy (self->devices, (GCopyFunc) (void (*) (void)) g_object_ref,
                                                     NULL);

  /* Relative times in the reachability text age. */
  g_ptr_array_set_free_func (snapshot, g_object_unref);
  for (guint i = 0; i < snapshot->len; i++)
    if (g_ptr_array_find (self->devices, g_ptr_array_index (snapshot, i), NULL))
      device_refresh (self, g_ptr_array_index (snapshot, i));
  schedule_probes (self);
  return G_SOURCE_CONTINUE;
}

static void
restart_tick (EspyDeviceStore *self)
{
  guint tick_ms = 1000;

  if (self->probe_interval_ms != 0)
    tick_ms = CLAMP (self->probe_interval_ms / 2, 20, 1000);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  self->tick_id = g_timeout_add (tick_ms, tick_cb, self);
}

void
espy_device_store_set_probe_interval (EspyDeviceStore *self,
                                      guint            interval_ms)
{
  g_return_if_fail (ESPY_IS_DEVICE_STORE (self));

  self->probe_interval_ms = interval_ms;
  restart_tick (self);
  kick_probes (self);
}

void
espy_device_store_set_probe_limits (EspyDeviceStore *self,
                                    guint            max_concurrent,
                                    guint            timeout_ms)
{
  g_return_if_fail (ESPY_IS_DEVICE_STORE (self));

  /* Probes in flight finish on the old prober, which they keep alive. */
  g_clear_object (&self->prober);
  self->prober = espy_reachability_prober_new (max_concurrent, timeout_ms);
}

void
espy_device_store_probe_now (EspyDeviceStore *self,
                             EspyDevice      *device)
{
  g_return_if_fail (ESPY_IS_DEVICE_STORE (self));
  g_return_if_fail (ESPY_IS_DEVICE (device));

  espy_device_get_probe (device)->started_mono = 0;
  kick_probes (self);
}

/* --- grouping ------------------------------------------------------------- */

static char *
record_key (EspyDeviceSource  source,
            const char       *source_key)
{
  return g_strdup_printf ("%d\x1f%s", (int) source, source_key);
}

/* The name a record files its device under: node name, else host, else address. */
static const char *
info_identity (const EspyDeviceInfo *info)
{
  if (info->name != NULL)
    return info->name;
  if (info->host != NULL)
    return info->host;
  if (info->addresses != NULL && info->addresses[0] != NULL)
    return info->addresses[0];
  return NULL;
}

typedef struct {
  const char *mac;       /* NULL: name-only records */
  GPtrArray  *records;   /* EspyDeviceRecord*, moved into the device */
  EspyDevice *device;
} Group;

static Group *
find_group (GPtrArray  *groups,
            const char *mac)
{
  for (guint i = 0; i < groups->len; i++)
    {
      Group *g = g_ptr_array_index (groups, i);

      if (g_strcmp0 (g->mac, mac) == 0)
        return g;
    }
  return NULL;
}

static Group *
add_group (GPtrArray  *groups,
           const char *mac)
{
  Group *g = g_new0 (Group, 1);

  g->mac = mac;
  g->records = g_ptr_array_new ();
  g_ptr_array_add (groups, g);
  return g;
}

static void
group_free (gpointer data)
{
  Group *g = data;

  g_ptr_array_unref (g->records);
  g_clear_object (&g->device);
  g_free (g);
}

/* Re-sorts every record filed under NAME_KEY (plus EXTRA, owned) into
 * devices: one per MAC; name-only records join the single MAC-bearing
 * device, or a name-only device when there are none or several. Existing
 * devices are kept where they fit, so bindings survive. */
static void
regroup (EspyDeviceStore  *self,
         const char       *name_key,
         EspyDeviceRecord *extra)
{
  g_autoptr(GPtrArray) old_devices = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) records = g_ptr_array_new ();   /* moved into groups */
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func (group_free);
  g_autoptr(GPtrArray) name_only = g_ptr_array_new ();
  Group *null_group = NULL;
  guint n_mac_groups;

  for (guint i = 0; i < self->devices->len; i++)
    {
      EspyDevice *device = g_ptr_array_index (self->devices, i);

      if (g_strcmp0 (espy_device_get_name_key (device), name_key) == 0)
        {
          g_autoptr(GPtrArray) stolen = espy_device_steal_records (device);

          g_ptr_array_add (old_devices, g_object_ref (device));
          /* Ownership moves to RECORDS. */
          g_ptr_array_set_free_func (stolen, NULL);
          g_ptr_array_extend (records, stolen, NULL, NULL);
        }
    }
  if (extra != NULL)
    g_ptr_array_add (records, extra);

  for (guint i = 0; i < records->len; i++)
    {
      EspyDeviceRecord *r = g_ptr_array_index (records, i);
      Group *g;

      if (r->info->mac == NULL)
        {
          g_ptr_array_add (name_only, r);
          continue;
        }
      g = find_group (groups, r->info->mac);
      if (g == NULL)
        g = add_group (groups, r->info->mac);
      g_ptr_array_add (g->records, r);
    }
  n_mac_groups = groups->len;
  if (name_only->len > 0)
    {
      if (n_mac_groups == 1)
        null_group = g_ptr_array_index (groups, 0);
      else
        null_group = add_group (groups, NULL);
      g_ptr_array_extend (null_group->records, name_only, NULL, NULL);
    }

  /* Existing devices: same identity MAC first, then any that is left. */
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < groups->len; i++)
      {
        Group *g = g_ptr_array_index (groups, i);

        if (g->device != NULL)
          continue;
        for (guint j = 0; j < old_devices->len; j++)
          {
            EspyDevice *device = g_ptr_array_index (old_devices, j);

            if (pass == 0 && g_strcmp0 (espy_device_get_identity_mac (device), g->mac) != 0)
              continue;
            g->device = g_object_ref (device);
            g_ptr_array_remove_index (old_devices, j);
            break;
          }
      }

  /* Devices left without records go first, so positions stay consistent. */
  for (guint j = 0; j < old_devices->len; j++)
    remove_device (self, g_ptr_array_index (old_devices, j));

  for (guint i = 0; i < groups->len; i++)
    {
      Group *g = g_ptr_array_index (groups, i);
      gboolean is_new = g->device == NULL;

      if (is_new)
        {
          EspyDeviceRecord *first = g_ptr_array_index (g->records, 0);

          g->device = espy_device_new (info_identity (first->info), g->mac);
          espy_device_set_esphome_version (g->device, self->esphome_version);
        }
      else
        espy_device_set_identity_mac (g->device, g->mac);

      for (guint k = 0; k < g->records->len; k++)
        {
          EspyDeviceRecord *r = g_ptr_array_index (g->records, k);

          espy_device_add_record (g->device, r);
          g_hash_table_replace (self->owners, record_key (r->source, r->key), g->device);
        }
      espy_device_set_show_mac (g->device, groups->len > 1);

      if (is_new)
        {
          espy_device_refresh (g->device);
          reset_probe_if_seen (self, g->device);
          insert_device (self, g->device);
          kick_probes (self);
        }
      else
        device_refresh (self, g->device);
    }
}

static EspyDeviceRecord *
find_record (EspyDevice       *device,
             EspyDeviceSource  source,
             const char       *source_key,
             guint            *index)
{
  GPtrArray *records = espy_device_get_records (device);

  for (guint i = 0; i < records->len; i++)
    {
      EspyDeviceRecord *r = g_ptr_array_index (records, i);

      if (r->source == source && g_strcmp0 (r->key, source_key) == 0)
        {
          if (index != NULL)
            *index = i;
          return r;
        }
    }
  return NULL;
}

gboolean
espy_device_store_update (EspyDeviceStore      *self,
                          EspyDeviceSource      source,
                          const char           *source_key,
                          const EspyDeviceInfo *info)
{
  g_autofree char *key = NULL;
  g_autofree char *name_key = NULL;
  g_autofree char *old_name_key = NULL;
  g_autoptr(EspyDeviceInfo) copy = NULL;
  EspyDeviceRecord *record;
  EspyDevice *owner;
  EspyDeviceRecord *old;
  guint index = 0;

  g_return_val_if_fail (ESPY_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (source_key != NULL, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  if (info_identity (info) == NULL)
    {
      g_warning ("A %s record (%s) without name or address was ignored",
                 espy_device_source_to_nick (source), source_key);
      return FALSE;
    }

  copy = espy_device_info_dup (info);
  /* Sources may hand over "AC:BC:..." or junk: keep only a proper MAC. */
  if (copy->mac != NULL)
    {
      g_autofree char *mac = espy_mac_normalize (copy->mac);

      g_free (copy->mac);
      copy->mac = g_steal_pointer (&mac);
    }
  name_key = g_ascii_strdown (info_identity (copy), -1);
  record = espy_device_record_new (source, source_key, copy);

  key = record_key (source, source_key);
  owner = g_hash_table_lookup (self->owners, key);
  old = owner != NULL ? find_record (owner, source, source_key, &index) : NULL;

  /* Same device as before: swap the record in place. */
  if (old != NULL &&
      g_strcmp0 (espy_device_get_name_key (owner), name_key) == 0 &&
      g_strcmp0 (old->info->mac, copy->mac) == 0)
    {
      GPtrArray *records = espy_device_get_records (owner);

      g_ptr_array_index (records, index) = record;
      espy_device_record_free (old);
      device_refresh (self, owner);
      return TRUE;
    }

  if (old != NULL)
    {
      old_name_key = g_strdup (espy_device_get_name_key (owner));
      g_ptr_array_remove_index (espy_device_get_records (owner), index);
      g_hash_table_remove (self->owners, key);
      regroup (self, name_key, record);
      if (g_strcmp0 (old_name_key, name_key) != 0)
        regroup (self, old_name_key, NULL);
      return TRUE;
    }

  regroup (self, name_key, record);
  return TRUE;
}

gboolean
espy_device_store_remove (EspyDeviceStore  *self,
                          EspyDeviceSource  source,
                          const char       *source_key)
{
  g_autofree char *key = NULL;
  g_autofree char *name_key = NULL;
  EspyDevice *owner;
  guint index = 0;

  g_return_val_if_fail (ESPY_IS_DEVICE_STORE (self), FALSE);
  g_return_val_if_fail (source_key != NULL, FALSE);

  key = record_key (source, source_key);
  owner = g_hash_table_lookup (self->owners, key);
  if (owner == NULL || find_record (owner, source, source_key, &index) == NULL)
    return FALSE;

  name_key = g_strdup (espy_device_get_name_key (owner));
  g_ptr_array_remove_index (espy_device_get_records (owner), index);
  g_hash_table_remove (self->owners, key);
  regroup (self, name_key, NULL);
  return TRUE;
}

void
espy_device_store_remove_source (EspyDeviceStore  *self,
                                 EspyDeviceSource  source)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);

  g_return_if_fail (ESPY_IS_DEVICE_STORE (self));

  for (guint i = 0; i < self->devices->len; i++)
    {
      GPtrArray *records = espy_device_get_records (g_ptr_array_index (self->devices, i));

      for (guint j = 0; j < records->len; j++)
        {
          EspyDeviceRecord *r = g_ptr_array_index (records, j);

          if (r->source == source)
            g_ptr_array_add (keys, g_strdup (r->key));
        }
    }
  for (guint i = 0; i < keys->len; i++)
    espy_device_store_remove (self, source, g_ptr_array_index (keys, i));
}

EspyDevice *
espy_device_store_lookup_full (EspyDeviceStore *self,
                               const char      *name,
                               const char      *mac)
{
  g_autofree char *name_key = NULL;
  g_autofree char *norm_mac = NULL;

  g_return_val_if_fail (ESPY_IS_DEVICE_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  name_key = g_ascii_strdown (name, -1);
  norm_mac = espy_mac_normalize (mac);
  for (guint i = 0; i < self->devices->len; i++)
    {
      EspyDevice *device = g_ptr_array_index (self->devices, i);

      if (g_strcmp0 (espy_device_get_name_key (device), name_key) != 0)
        continue;
      if (norm_mac == NULL || g_strcmp0 (espy_device_get_mac (device), norm_mac) == 0)
        return device;
    }
  return NULL;
}

EspyDevice *
espy_device_store_lookup (EspyDeviceStore *self,
                          const char      *name)
{
  return espy_device_store_lookup_full (self, name, NULL);
}

/* --- manual devices ------------------------------------------------------- */

static void
manual_changed_cb (EspyManualDevices *manual,
                   EspyDeviceStore   *self)
{
  GPtrArray *entries = espy_manual_devices_get_entries (manual);
  g_autoptr(GHashTable) now = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < entries->len; i++)
    {
      EspyDeviceInfo *entry = g_ptr_array_index (entries, i);
      char *entry_key = espy_manual_devices_entry_key (entry);

      if (entry_key == NULL)
        continue;
      espy_device_store_update (self, ESPY_DEVICE_SOURCE_MANUAL, entry_key, entry);
      g_hash_table_add (now, entry_key);
    }

  g_hash_table_iter_init (&iter, self->manual_keys);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (now, key))
      espy_device_store_remove (self, ESPY_DEVICE_SOURCE_MANUAL, key);

  g_hash_table_unref (self->manual_keys);
  self->manual_keys = g_steal_pointer (&now);
}

void
espy_device_store_set_manual_devices (EspyDeviceStore   *self,
                                      EspyManualDevices *manual)
{
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (ESPY_IS_DEVICE_STORE (self));
  g_return_if_fail (manual == NULL || ESPY_IS_MANUAL_DEVICES (manual));

  if (self->manual == manual)
    return;
  if (self->manual != NULL)
    {
      g_clear_signal_handler (&self->manual_changed_id, self->manual);
      g_clear_object (&self->manual);
    }

  if (manual == NULL)
    {
      g_hash_table_iter_init (&iter, self->manual_keys);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        espy_device_store_remove (self, ESPY_DEVICE_SOURCE_MANUAL, key);
      g_hash_table_remove_all (self->manual_keys);
      return;
    }

  self->manual = g_object_ref (manual);
  self->manual_changed_id = g_signal_connect (manual, "changed", G_CALLBACK (manual_changed_cb), self);
  manual_changed_cb (manual, self);
}

/* --- esphome version ------------------------------------------------------ */

const char *
espy_device_store_get_esphome_version (EspyDeviceStore *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_STORE (self), NULL);
  return self->esphome_version;
}

const char *
espy_device_store_get_esphome_error (EspyDeviceStore *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_STORE (self), NULL);
  return self->esphome_error;
}

void
espy_device_store_set_esphome_version (EspyDeviceStore *self,
                                       const char      *version)
{
  g_autoptr(GPtrArray) snapshot = NULL;

  g_return_if_fail (ESPY_IS_DEVICE_STORE (self));

  if (g_strcmp0 (self->esphome_version, version) == 0)
    return;
  g_free (self->esphome_version);
  self->esphome_version = g_strdup (version);

  snapshot = g_ptr_array_copy (self->devices, (GCopyFunc) (void (*) (void)) g_object_ref, NULL);
  g_ptr_array_set_free_func (snapshot, g_object_unref);
  for (guint i = 0; i < snapshot->len; i++)
    {
      EspyDevice *device = g_ptr_array_index (snapshot, i);

      espy_device_set_esphome_version (device, version);
      if (g_ptr_array_find (self->devices, device, NULL))
        device_refresh (self, device);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ESPHOME_VERSION]);
}

static void
detect_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  EspyDeviceStore *self = user_data;   /* valid unless cancelled */
  g_autoptr(GError) error = NULL;
  g_autofree char *version = espy_esphome_version_detect_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_free (self->esphome_error);
  self->esphome_error = error != NULL ? g_strdup (error->message) : NULL;
  if (error != NULL)
    g_debug ("No ESPHome version: %s", error->message);
  espy_device_store_set_esphome_version (self, version);
}

void
espy_device_store_detect_esphome_version (EspyDeviceStore *self)
{
  g_return_if_fail (ESPY_IS_DEVICE_STORE (self));

  espy_esphome_version_detect_async (self->cancellable, detect_cb, self);
}
