locals {
  audit_parameters = {
    log_connections    = "on"
    log_disconnections = "on"
  }
}

resource "azurerm_postgresql_flexible_server_configuration" "audit" {
  for_each  = merge(local.audit_parameters, var.extra_parameters)
  name      = each.key
  server_id = azurerm_postgresql_flexible_server.main.id
  value     = each.value
}

variable "extra_parameters" {
  type    = map(string)
  default = { log_checkpoints = "on" }
}
