/* espy-install-attempt.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-install-attempt.h"

#include <stddef.h>

#include <glib/gi18n-lib.h>

G_DEFINE_BOXED_TYPE (EspyInstallAttempt, espy_install_attempt,
                     espy_install_attempt_ref, espy_install_attempt_unref)

/* The members by kind, so to_json and from_json cannot drift apart. */
typedef struct {
  const char *name;
  gsize       offset;
} Member;

static const Member string_members[] = {
  { "device_name", offsetof (EspyInstallAttempt, device_name) },
  { "result", offsetof (EspyInstallAttempt, result) },
  { "failed_state", offsetof (EspyInstallAttempt, failed_state) },
  { "error_domain", offsetof (EspyInstallAttempt, error_domain) },
  { "error_code", offsetof (EspyInstallAttempt, error_code) },
  { "error_message", offsetof (EspyInstallAttempt, error_message) },
  { "transport", offsetof (EspyInstallAttempt, transport) },
  { "transport_reason", offsetof (EspyInstallAttempt, transport_reason) },
  { "image_name", offsetof (EspyInstallAttempt, image_name) },
  { "image_md5", offsetof (EspyInstallAttempt, image_md5) },
  { "old_version", offsetof (EspyInstallAttempt, old_version) },
  { "new_version", offsetof (EspyInstallAttempt, new_version) },
  { "expected_version", offsetof (EspyInstallAttempt, expected_version) },
  { "old_compilation_time", offsetof (EspyInstallAttempt, old_compilation_time) },
  { "new_compilation_time", offsetof (EspyInstallAttempt, new_compilation_time) },
  { "verify", offsetof (EspyInstallAttempt, verify) },
};

static const Member int64_members[] = {
  { "started", offsetof (EspyInstallAttempt, started) },
  { "finished", offsetof (EspyInstallAttempt, finished) },
};

static const Member uint64_members[] = {
  { "image_size", offsetof (EspyInstallAttempt, image_size) },
  { "bytes_sent", offsetof (EspyInstallAttempt, bytes_sent) },
  { "bytes_acked", offsetof (EspyInstallAttempt, bytes_acked) },
  { "bytes_total", offsetof (EspyInstallAttempt, bytes_total) },
};

static const Member bool_members[] = {
  { "built", offsetof (EspyInstallAttempt, built) },
  { "compressed", offsetof (EspyInstallAttempt, compressed) },
};

#define MEMBER_PTR(attempt, type, m) ((type *) (gpointer) ((guint8 *) (attempt) + (m)->offset))

static void
stage_clear (gpointer data)
{
  EspyInstallAttemptStage *stage = data;

  g_clear_pointer (&stage->name, g_free);
}

EspyInstallAttempt *
espy_install_attempt_new (void)
{
  EspyInstallAttempt *attempt = g_new0 (EspyInstallAttempt, 1);

  g_atomic_ref_count_init (&attempt->ref_count);
  attempt->version = ESPY_INSTALL_ATTEMPT_FORMAT_VERSION;
  attempt->device_code = -1;
  attempt->stages = g_array_new (FALSE, TRUE, sizeof (EspyInstallAttemptStage));
  g_array_set_clear_func (attempt->stages, stage_clear);
  attempt->rate_samples = g_array_new (FALSE, TRUE, sizeof (EspyInstallRateSample));
  return attempt;
}

EspyInstallAttempt *
espy_install_attempt_ref (EspyInstallAttempt *attempt)
{
  g_return_val_if_fail (attempt != NULL, NULL);

  g_atomic_ref_count_inc (&attempt->ref_count);
  return attempt;
}

void
espy_install_attempt_unref (EspyInstallAttempt *attempt)
{
  g_return_if_fail (attempt != NULL);

  if (!g_atomic_ref_count_dec (&attempt->ref_count))
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (string_members); i++)
    g_free (*MEMBER_PTR (attempt, char *, &string_members[i]));
  g_array_unref (attempt->stages);
  g_array_unref (attempt->rate_samples);
  g_free (attempt);
}

void
espy_install_attempt_set_string (EspyInstallAttempt  *attempt,
                                 char               **field,
                                 const char          *value)
{
  g_return_if_fail (attempt != NULL && field != NULL);

  if (*field == value)
    return;
  g_free (*field);
  *field = g_strdup (value);
}

void
espy_install_attempt_enter_stage (EspyInstallAttempt *attempt,
                                  const char         *name,
                                  gint64              now)
{
  EspyInstallAttemptStage stage = { 0 };

  g_return_if_fail (attempt != NULL);

  if (attempt->stages->len > 0)
    {
      EspyInstallAttemptStage *last = &g_array_index (attempt->stages, EspyInstallAttemptStage,
                                                      attempt->stages->len - 1);
      if (last->finished == 0)
        last->finished = now;
    }
  if (name == NULL)
    return;
  stage.name = g_strdup (name);
  stage.started = now;
  g_array_append_val (attempt->stages, stage);
}

void
espy_install_attempt_add_sample (EspyInstallAttempt *attempt,
                                 guint               elapsed_ms,
                                 guint64             sent,
                                 guint64             acked)
{
  EspyInstallRateSample sample = { elapsed_ms, sent, acked };

  g_return_if_fail (attempt != NULL);
  g_array_append_val (attempt->rate_samples, sample);
}

/* --- JSON -------------------------------------------------------------------- */

JsonNode *
espy_install_attempt_to_json (const EspyInstallAttempt *attempt)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (attempt != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, attempt->version);
  for (gsize i = 0; i < G_N_ELEMENTS (string_members); i++)
    {
      const char *value = *MEMBER_PTR (attempt, char *, &string_members[i]);

      if (value == NULL)
        continue;
      json_builder_set_member_name (b, string_members[i].name);
      json_builder_add_string_value (b, value);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (int64_members); i++)
    {
      json_builder_set_member_name (b, int64_members[i].name);
      json_builder_add_int_value (b, *MEMBER_PTR (attempt, gint64, &int64_members[i]));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (uint64_members); i++)
    {
      json_builder_set_member_name (b, uint64_members[i].name);
      json_builder_add_int_value (b, (gint64) *MEMBER_PTR (attempt, guint64, &uint64_members[i]));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bool_members); i++)
    {
      json_builder_set_member_name (b, bool_members[i].name);
      json_builder_add_boolean_value (b, *MEMBER_PTR (attempt, gboolean, &bool_members[i]));
    }
  json_builder_set_member_name (b, "device_code");
  json_builder_add_int_value (b, attempt->device_code);

  json_builder_set_member_name (b, "stages");
  json_builder_begin_array (b);
  for (guint i = 0; i < attempt->stages->len; i++)
    {
      const EspyInstallAttemptStage *stage = &g_array_index (attempt->stages, EspyInstallAttemptStage, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, stage->name);
      json_builder_set_member_name (b, "started");
      json_builder_add_int_value (b, stage->started);
      json_builder_set_member_name (b, "finished");
      json_builder_add_int_value (b, stage->finished);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  /* Samples as [elapsed_ms, sent, acked] triples: hundreds of them per
   * attempt, so no member names. */
  json_builder_set_member_name (b, "rate_samples");
  json_builder_begin_array (b);
  for (guint i = 0; i < attempt->rate_samples->len; i++)
    {
      const EspyInstallRateSample *s = &g_array_index (attempt->rate_samples, EspyInstallRateSample, i);

      json_builder_begin_array (b);
      json_builder_add_int_value (b, s->elapsed_ms);
      json_builder_add_int_value (b, (gint64) s->sent);
      json_builder_add_int_value (b, (gint64) s->acked);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

char *
espy_install_attempt_to_string (const EspyInstallAttempt *attempt)
{
  g_autoptr(JsonNode) node = espy_install_attempt_to_json (attempt);

  return json_to_string (node, FALSE);
}

static gboolean
invalid (GError    **error,
         const char *member)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _("The install record is damaged: “%s” has the wrong type."), member);
  return FALSE;
}

static gboolean
read_value (JsonObject  *obj,
            const char  *member,
            GType        type,
            JsonNode   **out,
            GError     **error)
{
  JsonNode *node = json_object_get_member (obj, member);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return invalid (error, member);
  *out = node;
  return TRUE;
}

static gboolean
read_int (JsonNode *node,
          gint64   *out)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

EspyInstallAttempt *
espy_install_attempt_from_json (JsonNode  *root,
                                GError   **error)
{
  g_autoptr(EspyInstallAttempt) attempt = NULL;
  JsonObject *obj;
  JsonNode *node;
  JsonArray *array;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The install record is damaged: it is not a JSON object."));
      return NULL;
    }
  obj = json_node_get_object (root);
  attempt = espy_install_attempt_new ();

  if (!read_value (obj, "version", G_TYPE_INT64, &node, error))
    return NULL;
  if (node != NULL)
    attempt->version = (int) json_node_get_int (node);
  for (gsize i = 0; i < G_N_ELEMENTS (string_members); i++)
    {
      if (!read_value (obj, string_members[i].name, G_TYPE_STRING, &node, error))
        return NULL;
      if (node != NULL)
        *MEMBER_PTR (attempt, char *, &string_members[i]) = g_strdup (json_node_get_string (node));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (int64_members); i++)
    {
      if (!read_value (obj, int64_members[i].name, G_TYPE_INT64, &node, error))
        return NULL;
      if (node != NULL)
        *MEMBER_PTR (attempt, gint64, &int64_members[i]) = json_node_get_int (node);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (uint64_members); i++)
    {
      if (!read_value (obj, uint64_members[i].name, G_TYPE_INT64, &node, error))
        return NULL;
      if (node != NULL)
        *MEMBER_PTR (attempt, guint64, &uint64_members[i]) = (guint64) MAX (json_node_get_int (node), 0);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bool_members); i++)
    {
      if (!read_value (obj, bool_members[i].name, G_TYPE_BOOLEAN, &node, error))
        return NULL;
      if (node != NULL)
        *MEMBER_PTR (attempt, gboolean, &bool_members[i]) = json_node_get_boolean (node);
    }
  if (!read_value (obj, "device_code", G_TYPE_INT64, &node, error))
    return NULL;
  if (node != NULL)
    attempt->device_code = (int) CLAMP (json_node_get_int (node), -1, 255);

  node = json_object_get_member (obj, "stages");
  if (node != NULL && !JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, "stages"), NULL;
  array = node != NULL ? json_node_get_array (node) : NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      JsonObject *s;
      JsonNode *name, *started, *finished;
      EspyInstallAttemptStage stage = { 0 };

      if (!JSON_NODE_HOLDS_OBJECT (item))
        return invalid (error, "stages"), NULL;
      s = json_node_get_object (item);
      name = json_object_get_member (s, "name");
      started = json_object_get_member (s, "started");
      finished = json_object_get_member (s, "finished");
      if (name == NULL || !JSON_NODE_HOLDS_VALUE (name) || json_node_get_value_type (name) != G_TYPE_STRING
          || started == NULL || !read_int (started, &stage.started)
          || (finished != NULL && !read_int (finished, &stage.finished)))
        return invalid (error, "stages"), NULL;
      stage.name = g_strdup (json_node_get_string (name));
      g_array_append_val (attempt->stages, stage);
    }

  node = json_object_get_member (obj, "rate_samples");
  if (node != NULL && !JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, "rate_samples"), NULL;
  array = node != NULL ? json_node_get_array (node) : NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      JsonArray *triple;
      gint64 v[3];

      if (!JSON_NODE_HOLDS_ARRAY (item) || json_array_get_length (triple = json_node_get_array (item)) != 3)
        return invalid (error, "rate_samples"), NULL;
      for (guint k = 0; k < 3; k++)
        if (!read_int (json_array_get_element (triple, k), &v[k]) || v[k] < 0)
          return invalid (error, "rate_samples"), NULL;
      espy_install_attempt_add_sample (attempt, (guint) MIN (v[0], G_MAXUINT), (guint64) v[1], (guint64) v[2]);
    }

  return g_steal_pointer (&attempt);
}

EspyInstallAttempt *
espy_install_attempt_from_string (const char  *text,
                                  GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, text, -1, error))
    return NULL;
  return espy_install_attempt_from_json (json_parser_get_root (parser), error);
}
