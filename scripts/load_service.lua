-- wrk script of scripts/load_service.sh: each request goes to the next
-- published-indicator endpoint in turn, some with filters.
local paths = {
    "/api/v1/indicators/incidence",
    "/api/v1/indicators/incidence?sex=female",
    "/api/v1/indicators/trends?site_group=all_sites",
    "/api/v1/indicators/departements?sex=both",
    "/api/v1/indicators/survival",
    "/api/v1/indicators/prevalence?duration=all",
}
local next_path = 0

request = function()
    next_path = next_path % #paths + 1
    return wrk.format("GET", paths[next_path])
end
