/* fuzz-yaml.c: libFuzzer target for the YAML reader
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-yaml.h"
#include "fuzz-common.h"

static void
walk (const EspyYamlNode *node,
      guint               depth)
{
  g_assert (depth <= ESPY_YAML_MAX_NESTING + 1);
  switch (node->kind)
    {
    case ESPY_YAML_SCALAR:
      g_assert (node->value != NULL && g_utf8_validate (node->value, -1, NULL));
      break;
    case ESPY_YAML_SEQUENCE:
    case ESPY_YAML_MAPPING:
      g_assert (node->items != NULL);
      g_assert (node->kind != ESPY_YAML_MAPPING || node->items->len % 2 == 0);
      for (guint i = 0; i < node->items->len; i++)
        walk (g_ptr_array_index (node->items, i), depth + 1);
      break;
    case ESPY_YAML_NULL:
    default:
      break;
    }
}

/* A configuration file's bytes as the user's folder holds them: limits on
 * size, nodes, nesting and alias expansion, tags, UTF-8 checks. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(EspyYamlNode) root = NULL;
  g_autoptr(GError) error = NULL;

  fuzz_init_logging ();
  root = espy_yaml_load_data ((const char *) data, size, "fuzz.yaml", &error);
  if (root == NULL)
    {
      g_assert (error != NULL && error->domain == ESPY_CONFIG_ERROR);
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert (espy_yaml_node_count (root) <= ESPY_YAML_MAX_NODES);
  walk (root, 0);

  if (root->kind == ESPY_YAML_MAPPING)
    {
      EspyYamlNode *esphome = espy_yaml_mapping_lookup (root, "esphome");

      if (esphome != NULL && esphome->kind == ESPY_YAML_MAPPING)
        (void) espy_yaml_mapping_lookup (esphome, "name");
    }
  return 0;
}
