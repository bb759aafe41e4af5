variable "server_parameters" {
  description = "PostgreSQL server parameters"
  type        = map(string)
  default = {
    log_checkpoints    = "on"
    log_connections    = "on"
    log_disconnections = "off"
  }
}
