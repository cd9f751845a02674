# analysis sources (owned by the analyzer work)
