-- nmc's language server in Neovim 0.7 or newer, nothing else installed.
-- Use it from init.lua with `dofile("/path/to/nmc/editors/nvim/nmc.lua")`
-- or paste it there. `vim.g.nmc_cmd` overrides the command
-- (default { "nmc", "lsp" }, nmc found on PATH).
--
-- Filetypes: Neovim's own detection calls `.mod` files "modsim3" (or
-- lprolog); these autocommands set "nmodl" for `.mod` and "ndl" for `.ndl`
-- instead, the language ids `nmc lsp` expects.
local group = vim.api.nvim_create_augroup("nmc", { clear = true })
vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
  group = group,
  pattern = "*.mod",
  command = "set filetype=nmodl",
})
vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
  group = group,
  pattern = "*.ndl",
  command = "set filetype=ndl",
})

local cmd = vim.g.nmc_cmd or { "nmc", "lsp" }

if vim.lsp.config and vim.lsp.enable then
  -- Neovim 0.11+: the built-in configuration API.
  vim.lsp.config("nmc", {
    cmd = cmd,
    filetypes = { "nmodl", "ndl" },
    root_markers = { ".git" },
  })
  vim.lsp.enable("nmc")
else
  -- Neovim 0.7 to 0.10: one client, started on the first nmodl/ndl buffer
  -- and attached to every later one.
  local client_id = nil
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = { "nmodl", "ndl" },
    callback = function(args)
      if client_id == nil or vim.lsp.get_client_by_id(client_id) == nil then
        client_id = vim.lsp.start_client({
          name = "nmc",
          cmd = cmd,
          root_dir = vim.fn.getcwd(),
        })
      end
      if client_id then
        vim.lsp.buf_attach_client(args.buf, client_id)
      end
    end,
  })
end
