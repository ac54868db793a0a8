--[[
job_submit.lua: the baseline for docs/PERFORMANCE.md item 3, i.e. the
grant checks a site would write for job_submit/lua instead of using
job_submit/grants, written to be fast and honest rather than short.

Enforced, in the order of job_submit_grants(8) "Enforcement":
  award from --award (the SPANK option in spank_job_env), else the user's
  default_award, else the user's only usable award; the award exists, is
  inside its validity window, the user is a member (user name, Unix group,
  Slurm account), the partition is allowed; a finite time limit (else
  max_walltime); max_chips_per_job, max_walltime, max_jobs and
  max_running_chips (award and per user) over live jobs; budget:
  held + this job <= budget; AdminComment tag, time limit, user message.

The policy is the same grants.yaml, exported to Lua tables by
`bench_core gen-lua` into grants_policy.lua next to this file, loaded once.

Shortcuts a Lua script cannot avoid (stated in docs/PERFORMANCE.md):
  * holds, live jobs and chips are Lua tables updated on submit only: 22.05's
    job_submit/lua has no hook when a job ends, so they are never released
    and nothing is charged (a site would need a separate process for that);
  * no ledger: "charged" is always 0;
  * groups come from /etc/group read once per 300 s (no NSS/LDAP; the
    primary group is not counted), user names are cached per uid for 300 s;
  * amounts are Lua doubles, not exact integers.
]]

local NO_VAL = slurm.NO_VAL
local INFINITE = slurm.INFINITE
local TTL = 300

local function script_dir()
	local src = debug.getinfo(1, "S").source
	local dir = src:match("^@(.*)/[^/]*$")
	if dir then return dir end
	local conf = os.getenv("SLURM_CONF") or "/etc/slurm/slurm.conf"
	return conf:match("^(.*)/[^/]*$") or "."
end

local P = dofile(script_dir() .. "/grants_policy.lua")

-- user -> { award id = true }, for the "only award" fallback and messages
local awards_by_user, awards_by_group, awards_by_account = {}, {}, {}
local function index(tbl, key, id)
	local t = tbl[key]
	if not t then t = {}; tbl[key] = t end
	t[#t + 1] = id
end
for id, a in pairs(P.awards) do
	for u in pairs(a.users) do index(awards_by_user, u, id) end
	for g in pairs(a.groups) do index(awards_by_group, g, id) end
	for acc in pairs(a.accounts) do index(awards_by_account, acc, id) end
end

-- live state, per award: held amount, live jobs and chips, per user
local held, live_jobs, live_chips, user_jobs, user_chips = {}, {}, {}, {}, {}

-- identities
local name_cache, groups_cache, groups_loaded = {}, {}, 0
local function user_name(job_desc)
	local now = os.time()
	local e = name_cache[job_desc.user_id]
	if e and now - e.t < TTL then return e.name end
	local name = job_desc.user_name or ("uid " .. job_desc.user_id)
	name_cache[job_desc.user_id] = { name = name, t = now }
	return name
end
local function groups_of(user)
	local now = os.time()
	if now - groups_loaded >= TTL then
		groups_cache = {}
		local f = io.open("/etc/group", "r")
		if f then
			for line in f:lines() do
				local g, members = line:match("^([^:]*):[^:]*:[^:]*:(.*)$")
				if g then
					for m in members:gmatch("[^,]+") do
						local t = groups_cache[m]
						if not t then t = {}; groups_cache[m] = t end
						t[#t + 1] = g
					end
				end
			end
			f:close()
		end
		groups_loaded = now
	end
	return groups_cache[user] or {}
end

local function is_member(a, user, groups, account)
	if a.users[user] then return true end
	if account and a.accounts[account] then return true end
	for i = 1, #groups do
		if a.groups[groups[i]] then return true end
	end
	return false
end

local function awards_of(user, groups, account)
	local seen, out = {}, {}
	local function add(list)
		if not list then return end
		for i = 1, #list do
			local id = list[i]
			if not seen[id] then seen[id] = true; out[#out + 1] = id end
		end
	end
	add(awards_by_user[user])
	for i = 1, #groups do add(awards_by_group[groups[i]]) end
	if account then add(awards_by_account[account]) end
	table.sort(out)
	return out
end

local function valid_today(a, today)
	if a.from and today < a.from then return false end
	if a.until_ and today > a.until_ then return false end
	return true
end

local function array_tasks(spec)
	if not spec or spec == "" then return 1 end
	spec = spec:gsub("%%.*$", "")
	local n = 0
	for part in spec:gmatch("[^,]+") do
		local a, b, step = part:match("^(%d+)-(%d+):(%d+)$")
		if not a then a, b = part:match("^(%d+)-(%d+)$"); step = 1 end
		if a then
			a, b, step = tonumber(a), tonumber(b), tonumber(step)
			if b < a or step < 1 then return nil end
			n = n + math.floor((b - a) / step) + 1
		elseif part:match("^%d+$") then
			n = n + 1
		else
			return nil
		end
	end
	return n
end

local function gres_count(tres, name)
	if not tres then return nil end
	for item in tres:gmatch("[^,]+") do
		local n = item:match("^gres[:/]" .. name .. ":(%d+)$") or item:match("^gres[:/]" .. name .. ":[^:]+:(%d+)$")
		if n then return tonumber(n) end
	end
	return nil
end

local function reject(msg)
	slurm.log_user("%s", msg)
	return slurm.ESLURM_ACCOUNTING_POLICY
end

function slurm_job_submit(job_desc, part_list, submit_uid)
	-- scope
	local partition_list = job_desc.partition or "cpu"
	local scoped = {}
	for p in partition_list:gmatch("[^,]+") do
		if P.enforced[p] then scoped[#scoped + 1] = p end
	end
	if #scoped == 0 then return slurm.SUCCESS end

	local user = user_name(job_desc)
	local groups = groups_of(user)
	local account = job_desc.account
	local today = os.date("%Y-%m-%d")

	-- 1. which award
	local requested
	local env = job_desc.spank_job_env
	if env then
		for _, v in pairs(env) do
			local id = v:match("^_SLURM_SPANK_OPTION_grants_award=(.*)$")
			if id then
				if requested and requested ~= id then return reject("give --award only once.") end
				requested = id
			end
		end
	end
	local award_id = requested or P.defaults[user]
	if not award_id then
		local usable = {}
		for _, id in ipairs(awards_of(user, groups, account)) do
			local a = P.awards[id]
			local ok = valid_today(a, today)
			for i = 1, #scoped do
				if a.partitions and not a.partitions[scoped[i]] then ok = false end
			end
			if ok then usable[#usable + 1] = id end
		end
		if #usable ~= 1 then
			return reject("jobs on partition " .. scoped[1] .. " need an award: add --award=ID (your awards: " ..
				table.concat(awards_of(user, groups, account), ", ") .. ").")
		end
		award_id = usable[1]
	end

	-- 2. award, validity, membership, partitions
	local a = P.awards[award_id]
	if not a then return reject("award " .. award_id .. " does not exist.") end
	if not is_member(a, user, groups, account) then
		return reject("user " .. user .. " is not a member of award " .. award_id .. ".")
	end
	if not valid_today(a, today) then return reject("award " .. award_id .. " is not valid today.") end
	for i = 1, #scoped do
		if a.partitions and not a.partitions[scoped[i]] then
			return reject("award " .. award_id .. " cannot be used on partition " .. scoped[i] .. ".")
		end
	end

	-- 3. time limit
	local minutes = job_desc.time_limit
	local set_time = false
	if minutes == INFINITE then return reject("set --time.") end
	if minutes == NO_VAL then
		if not a.max_walltime then return reject("set --time.") end
		minutes = a.max_walltime
		set_time = true
	end
	if a.max_walltime and minutes > a.max_walltime then return reject("the time limit is over the award's maximum.") end

	-- 4. cost and limits: the most expensive in-scope partition
	local nodes = job_desc.min_nodes
	if nodes == NO_VAL or nodes == 0 then nodes = 1 end
	if job_desc.max_nodes ~= NO_VAL and job_desc.max_nodes ~= INFINITE and job_desc.max_nodes > 0 then
		nodes = job_desc.max_nodes
	end
	local tasks = array_tasks(job_desc.array_inx)
	if not tasks then return reject("bad array specification.") end
	local cost, chips = -1, 0
	for i = 1, #scoped do
		local part = P.partitions[scoped[i]]
		if part then
			local c = nodes * part.chips_per_node
			if part.gres then
				local g = gres_count(job_desc.tres_per_node, part.gres)
				if g then c = g * nodes end
			end
			local amount = c * minutes / 60 * tasks
			if a.unit == "usd" then amount = amount * (part.usd or 0) end
			if amount > cost then cost, chips = amount, c end
		end
	end
	if cost < 0 then return reject("no enforced partition is priced.") end
	if a.max_chips_per_job and chips > a.max_chips_per_job then return reject("too many chips per job.") end
	local uj, uc = user_jobs[award_id], user_chips[award_id]
	if not uj then uj = {}; uc = {}; user_jobs[award_id] = uj; user_chips[award_id] = uc end
	local lj, lc = live_jobs[award_id] or 0, live_chips[award_id] or 0
	local ulj, ulc = uj[user] or 0, uc[user] or 0
	local new_chips = chips * tasks
	if a.max_jobs and lj + tasks > a.max_jobs then return reject("too many live jobs on the award.") end
	if a.user_max_jobs and ulj + tasks > a.user_max_jobs then return reject("too many live jobs of yours.") end
	if a.max_running_chips and lc + new_chips > a.max_running_chips then return reject("too many chips on the award.") end
	if a.user_max_running_chips and ulc + new_chips > a.user_max_running_chips then
		return reject("too many chips of yours.")
	end

	-- 5. budget (no ledger: charged = 0)
	local h = held[award_id] or 0
	if h + cost > a.budget then
		return reject(string.format("award %s has %.1f left and this job needs %.1f.", award_id, a.budget - h, cost))
	end

	-- 6. accept: record, tag, tell the user
	held[award_id] = h + cost
	live_jobs[award_id] = lj + tasks
	live_chips[award_id] = lc + new_chips
	uj[user] = ulj + tasks
	uc[user] = ulc + new_chips
	local comment = job_desc.admin_comment
	if comment and comment ~= "" then
		comment = comment:gsub("award=[^ ]*", "")
		job_desc.admin_comment = comment .. " award=" .. award_id
	else
		job_desc.admin_comment = "award=" .. award_id
	end
	if set_time then job_desc.time_limit = minutes end
	slurm.log_user("award %s: this job holds %.1f; %.1f of %.1f left (until %s).", award_id, cost,
		a.budget - h - cost, a.budget, a.until_ or "-")
	return slurm.SUCCESS
end

function slurm_job_modify(job_desc, job_rec, part_list, modify_uid)
	return slurm.SUCCESS
end

return slurm.SUCCESS
