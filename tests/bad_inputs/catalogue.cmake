# The catalogue of bad input (docs/errors.md): one command-line test per user mistake,
# each asserting the exit status and the key words of the message. Included by
# tests/CMakeLists.txt, which holds the first tests of this kind (cli_error_test) and
# the fixtures: tests/make_bad_inputs.cpp writes the broken binary files to ${BAD}.
# The scenarios and CSVs here are the mistakes themselves, one file each.
# Runs in the source tree: scenario paths are relative to it.
set(CATALOGUE tests/bad_inputs)

# bad_input(NAME EXIT REGEX [LINES any] COMMAND...): EXIT 1 is bad input, 2 a bad command line.
function(bad_input name exit regex)
  set(args ${ARGN})
  set(lines one)
  list(GET args 0 first)
  if(first STREQUAL "LINES")
    list(GET args 1 lines)
    list(REMOVE_AT args 0 1)
  endif()
  add_test(NAME cli.bad_${name}
    COMMAND ${EXPECT} --exit ${exit} --lines ${lines} "${regex}" ${args}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(cli.bad_${name} PROPERTIES FIXTURES_REQUIRED bad_inputs)
endfunction()

# --- scenario files (validate runs every check run does, before any evaluation) ------------
function(bad_scenario name regex)
  bad_input(scenario_${name} 1 "${regex}" ${ARGN} ${WF} validate ${CATALOGUE}/scenarios/${name}.toml)
endfunction()
bad_scenario(syntax_error "syntax_error.toml:15:10: TOML syntax error")
bad_scenario(binary_garbage "binary_garbage.toml:1:1: TOML syntax error")
bad_scenario(trials_text "trials_text.toml:15:10: campaign.trials: expected an integer in \\[1, 1000000\\]; got 'three'")
bad_scenario(trials_zero "campaign.trials: expected an integer in \\[1, 1000000\\]; got '0'")
bad_scenario(unknown_table "unknown_table.toml:17:2: campain: unknown table or key \\(known: campaign, dataset, ")
bad_scenario(unknown_fault_model "fault_model\\[0\\].name: unknown fault model \\(known: uniform_ber, .*\\); got 'uniform_bre'")
bad_scenario(fault_model_unknown_key "fault_model\\[0\\].rate: unknown key \\(known: ber, name\\)")
bad_scenario(unknown_dtype "campaign.dtypes: expected one of: fp32, fp16, bf16, q<m>.<n> .*; got 'fp33'")
bad_scenario(unknown_protection "campaign.protections: unknown protection stage 'tanhh' \\(known: none, ondie_ecc, scale, clamp,")
bad_scenario(unknown_chain_stage "unknown protection stage 'secdd' .*; got 'scale\\+secdd'")
bad_scenario(ber_negative "ber_negative.toml:12:1: sweep.ber: a number in \\[0, 1\\]; got '-1e-06'")
bad_scenario(ber_above_one "sweep.ber: a number in \\[0, 1\\]; got '2'")
bad_scenario(sweep_not_sweepable "sweep.bre: not a sweepable parameter of this scenario's fault models \\(sweepable: ber\\)")
bad_scenario(sweep_also_fixed "sweep.ber: also set in fault_model\\[0\\]; set it in one place")
bad_scenario(empty_dtypes "campaign.dtypes: expected a non-empty array; got '\\[\\]'")
bad_scenario(dataset_unknown "dataset.name: expected one of: mnist, fashion-mnist; got 'cifar10'")
bad_scenario(split_unknown "dataset.split: expected one of: test, train, calibration, train_full; got 'validation'")
bad_scenario(model_missing "model: required table is missing" LINES any)
bad_scenario(table_is_a_value "dataset: expected a table; got '3'" LINES any)
bad_scenario(batch_zero "campaign.batch: expected an integer in \\[1, 65536\\]; got '0'")
bad_scenario(seed_negative "campaign.seed: expected an integer in \\[0, 9223372036854775807\\]; got '-1'")
bad_scenario(limit_negative "dataset.limit: expected an integer in \\[0, 1000000\\]; got '-5'")
bad_scenario(memory_rows_zero "memory.rows: expected an integer in \\[1, [0-9]+\\]; got '0'")
bad_scenario(mapping_bad "memory.mapping: address mapping 'RoBaRaCo': wrong length; expected the five tokens")
bad_scenario(timeline_missing "'dram_retention' makes faults over simulated time; add a \\[timeline\\]")
bad_scenario(critical_drop_above_one "campaign.critical_drop: expected a number in \\[0, 1\\]; got '2'")
bad_scenario(nan_policy_unknown "inference.nan_policy: expected one of: propagate, flush_relu; got 'ignore'")
bad_scenario(temperature_out_of_range "environment.temperature_c: expected a number in \\[-60, 200\\]; got '500'")
# Fault-list CSVs: the CSV's own file and line.
bad_scenario(fault_list_missing_file "tests/bad_inputs/nowhere.csv: fault list file not found")
bad_scenario(fault_list_bad_header "bad_header.csv:1: header 'tensor;element;bit': expected 'tensor,element,bit\\[,kind\\]' or ")
bad_scenario(fault_list_bad_kind "bad_kind.csv:3: kind: expected one of flip, stuck_at_0, stuck_at_1; got 'toggle'")
bad_scenario(fault_list_bit_above_63 "bit_above_63.csv:2: bit: expected 0..63; got '64'")
bad_scenario(fault_list_column_count "column_count.csv:2: expected 3 columns, got 2")
bad_scenario(fault_list_not_a_number "not_a_number.csv:2: row: expected a non-negative integer; got 'seventeen'")
bad_scenario(fault_list_empty "empty.csv: empty fault list \\(no header line\\)")

# --- the command line itself: exit 2, CLI11's message and "Run with --help" ---------------
set(MODEL data/models/lenet5_mnist.h5)
bad_input(eval_limit_negative 2 "--limit: expected a whole number 0..4294967295; got '-1'" LINES any
  ${WF} eval --model ${MODEL} --dataset mnist --limit -1)
bad_input(eval_limit_text 2 "--limit: expected a whole number 0..4294967295; got 'all'" LINES any
  ${WF} eval --model ${MODEL} --dataset mnist --limit all)
bad_input(run_seed_too_large 2 "--seed: expected a whole number 0..9223372036854775807; got '18446744073709551616'" LINES any
  ${WF} run scenarios/quickstart.toml --seed 18446744073709551616)
bad_input(run_seed_negative 2 "--seed: expected a whole number 0..9223372036854775807; got '-3'" LINES any
  ${WF} run scenarios/quickstart.toml --seed -3)
bad_input(run_trials_zero 2 "--trials: Value 0 not in range 1 to 1000000" LINES any
  ${WF} run scenarios/quickstart.toml --trials 0)
bad_input(eval_threads_zero 2 "--threads: Value 0 not in range 1 to 256" LINES any
  ${WF} eval --model ${MODEL} --dataset mnist --threads 0)
bad_input(eval_nan_policy_unknown 2 "--nan-policy: ignore not in \\{propagate,flush_relu\\}" LINES any
  ${WF} eval --model ${MODEL} --dataset mnist --nan-policy ignore)
bad_input(eval_dataset_unknown 2 "--dataset: cifar10 not in \\{mnist,fashion-mnist\\}" LINES any
  ${WF} eval --model ${MODEL} --dataset cifar10)
bad_input(eval_unknown_option 2 "The following argument was not expected: --bogus" LINES any
  ${WF} eval --model ${MODEL} --dataset mnist --bogus)
bad_input(eval_model_missing 2 "--model is required" LINES any ${WF} eval --dataset mnist)
bad_input(report_format_unknown 2 "--format: xml not in \\{table,csv,json\\}" LINES any
  ${WF} report ${MODEL} --format xml)
bad_input(describe_no_name 2 "name is required" LINES any ${WF} describe)
bad_input(train_epochs_zero 2 "--epochs: Value 0 not in range 1 to 1000" LINES any
  ${WF} train model_definitions/mlp_fashion_subnet.toml -o ${BAD}/never_1.h5 --epochs 0)
bad_input(no_command 2 "A subcommand is required" LINES any ${WF})

# --- files that are not what they claim ---------------------------------------------------
bad_input(eval_model_is_text 1 "README.md: not an HDF5 file \\(or corrupt\\)"
  ${WF} eval --model README.md --dataset mnist)
bad_input(eval_model_is_a_results_file 1 "results_finished.h5: not a weightfault model file"
  ${WF} eval --model fuzz/bases/results_finished.h5 --dataset mnist)
bad_input(eval_model_nan_weight 1 "nan_weight.h5:/layers/conv: weight dataset 'kernel' of layer 'conv' holds nan at index 7"
  ${WF} eval --model ${BAD}/nan_weight.h5 --dataset mnist --data-root ${BAD}/good)
bad_input(eval_corrupt_gzip 1 "t10k-images-idx3-ubyte.gz: corrupt gzip data \\(zlib: "
  ${WF} eval --model ${BAD}/model.h5 --dataset mnist --data-root ${BAD}/corrupt_gzip)
bad_input(info_missing_model 1 "nowhere.h5: file not found" ${WF} info nowhere.h5)
bad_input(import_keras_not_keras 1 "lenet5_mnist.h5: no 'model_config' attribute; not a Keras model file"
  ${WF} import-keras ${MODEL} -o ${BAD}/never_2.h5)
bad_input(import_keras_text 1 "README.md: not an HDF5 file" ${WF} import-keras README.md -o ${BAD}/never_3.h5)
bad_input(import_onnx_not_onnx 1 "README.md: not an ONNX model \\(protobuf parse failed\\)"
  ${WF} import-onnx README.md -o ${BAD}/never_4.h5)
bad_input(report_text_file 1 "README.md: not an HDF5 file" ${WF} report README.md)
bad_input(report_model_file 1 "lenet5_mnist.h5: not a weightfault results file" ${WF} report ${MODEL})
bad_input(report_wrong_shape 1 "results_wrong_shape.h5:/results/none/fp32/accuracy: has shape \\[3\\], expected \\[2, trials, 1\\]"
  ${WF} report ${BAD}/results_wrong_shape.h5)
bad_input(report_accuracy_out_of_range 1 "accuracy: value 7.5 at index 1 is not an accuracy in \\[0, 1\\]"
  ${WF} report ${BAD}/results_accuracy_7_5.h5)
bad_input(train_definition_missing 1 "nowhere.toml: model definition not found"
  ${WF} train tests/bad_inputs/nowhere.toml -o ${BAD}/never_5.h5)
bad_input(train_definition_is_a_scenario 1 "quickstart.toml:[0-9]+:[0-9]+: .*unknown"
  LINES any ${WF} train scenarios/quickstart.toml -o ${BAD}/never_6.h5)

# --- outputs: never overwrite, never an input, one run per output -------------------------
bad_input(run_output_is_directory 1 "bad_inputs: the output is a directory"
  ${WF} run fuzz/bases/results_finished.toml -o ${BAD})
bad_input(run_output_is_scenario 1 "results_finished.toml: the output is one of this command's inputs"
  ${WF} run fuzz/bases/results_finished.toml -o fuzz/bases/results_finished.toml --overwrite)
bad_input(run_output_is_fault_list 1 "valid_faults.csv: the output is one of this command's inputs"
  ${WF} run ${CATALOGUE}/scenarios/output_is_fault_list.toml -o ${CATALOGUE}/valid_faults.csv --overwrite)
bad_input(run_output_is_model 1 "lenet5_mnist.h5: the output is one of this command's inputs"
  ${WF} run fuzz/bases/results_finished.toml -o ${MODEL} --overwrite)
bad_input(run_output_locked 1 "locked.h5: another run is writing it \\(.*locked.h5.partial exists"
  ${WF} run fuzz/bases/results_finished.toml -o ${BAD}/locked.h5)
bad_input(import_keras_output_is_input 1 "the output is one of this command's inputs"
  ${WF} import-keras fuzz/bases/keras_layers.h5 -o fuzz/bases/keras_layers.h5 --overwrite)
bad_input(tune_clip_output_exists 1 "model.h5: exists; give --overwrite"
  ${WF} tune-clip ${MODEL} --dataset mnist -o ${BAD}/model.h5)
bad_input(train_seed_negative 2 "--seed: expected a whole number" LINES any
  ${WF} train model_definitions/mlp_fashion_subnet.toml -o ${BAD}/never_7.h5 --seed -1)
bad_input(tune_clip_seed_negative 2 "--seed: expected a whole number" LINES any
  ${WF} tune-clip ${MODEL} -o ${BAD}/never_8.h5 --seed -1)

# --- resume: only the same run continues --------------------------------------------------
bad_input(resume_other_scenario 1 "out.h5.partial: cannot resume: the scenario differs from the killed run's at line 1"
  ${WF} run ${CATALOGUE}/scenarios/resume_other_seed.toml -o ${BAD}/resume/out.h5 --resume)
bad_input(resume_other_seed 1 "cannot resume: the seed differs from the killed run's \\(file: '1', now: '5'\\)"
  ${WF} run fuzz/bases/results_finished.toml -o ${BAD}/resume/out.h5 --resume --seed 5)
bad_input(resume_other_trials 1 "cannot resume: the trial count differs from the killed run's \\(file: '2', now: '3'\\)"
  ${WF} run fuzz/bases/results_finished.toml -o ${BAD}/resume/out.h5 --resume --trials 3)
