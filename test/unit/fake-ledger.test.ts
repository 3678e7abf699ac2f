import { createFakeLedger } from '../support/fake-ledger.ts';
import { describeLedgerContract } from '../support/ledger-contract.ts';

describeLedgerContract('in-memory fake', async () => {
  const { values, ledger } = createFakeLedger();
  return {
    ledger,
    seed: async (_campaignId, phone, value) => void values.set(phone, value),
    raw: async (_campaignId, phone) => values.get(phone) ?? null,
  };
});
