# A flexible server whose parameters come from a variable's default map:
# log_disconnections is "off" there, so every session end goes unlogged.
resource "azurerm_postgresql_flexible_server_configuration" "this" {
  for_each  = var.server_parameters
  name      = each.key
  server_id = azurerm_postgresql_flexible_server.main.id
  value     = each.value
}

# The KICS shape: a literal in the block itself.
resource "azurerm_postgresql_configuration" "legacy" {
  name                = "log_disconnections"
  resource_group_name = "rg-db"
  server_name         = "psql-legacy"
  value               = "off"
}
